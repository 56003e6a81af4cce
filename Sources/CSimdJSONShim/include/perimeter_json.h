#ifndef PERIMETER_JSON_H
#define PERIMETER_JSON_H
/* C API over simdjson for PerimeterJSON; see shim.cpp. */
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/* Name of the simdjson kernel chosen at run time (icelake, haswell, ...). */
const char *pj_active_kernel(void);
#ifdef __cplusplus
}
#endif
#endif
