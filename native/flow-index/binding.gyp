{
  "targets": [
    {
      "target_name": "tapline_flow_index",
      "sources": ["src/flow_index_addon.c", "src/flow_stretch.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=gnu11"],
      "cflags!": ["-fno-exceptions"]
    }
  ]
}
