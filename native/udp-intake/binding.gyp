{
  "targets": [
    {
      "target_name": "tapline_udp_intake",
      "sources": ["src/udp_intake.c", "src/log_fast_path.c", "src/line_pack.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
      "cflags!": ["-fno-exceptions"],
      "libraries": ["-lpthread"]
    }
  ]
}
