{
  "targets": [
    {
      "target_name": "tapline_digest",
      "sources": [
        "src/digest_addon.c",
        "src/digest_lanes.c",
        "src/direct_file.c",
        "src/spool_stage.c"
      ],
      "include_dirs": ["../include"],
      "defines": [
        "NAPI_VERSION=8"
      ],
      "cflags": [
        "-Wall",
        "-Wextra",
        "-Werror",
        "-O2",
        "-std=gnu11"
      ],
      "cflags!": [
        "-fno-exceptions"
      ]
    }
  ]
}
