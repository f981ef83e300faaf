{
  "targets": [
    {
      "target_name": "tapline_capture",
      "sources": ["src/capture.c", "src/segment_io.c"],
      "include_dirs": ["../include"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
      "cflags!": ["-fno-exceptions"],
      "libraries": ["-lpcap", "-lpthread"]
    }
  ]
}
