#ifndef TAPLINE_SPOOL_STAGE_H
#define TAPLINE_SPOOL_STAGE_H
#include <node_api.h>

/* The carver's native spool stage (spool_stage.c): see there. */
napi_value spool_start(napi_env env, napi_callback_info info);
napi_value spool_wake(napi_env env, napi_callback_info info);
napi_value spool_wait_room(napi_env env, napi_callback_info info);
napi_value spool_ref(napi_env env, napi_callback_info info);
#endif
