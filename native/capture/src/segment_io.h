/* Segment data written with O_DIRECT: the live store writer's data path (segment_io.c). */
#ifndef TAPLINE_SEGMENT_IO_H
#define TAPLINE_SEGMENT_IO_H
#include <node_api.h>
/* Adds segmentOpen/Append/Flush/Close/Direct to exports; 0 or -1. */
int segment_io_define(napi_env env, napi_value exports);
#endif
