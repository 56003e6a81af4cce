#include "perimeter_json.h"
#include <simdjson.h>

const char *pj_active_kernel(void) {
    return simdjson::get_active_implementation()->name().data();
}
