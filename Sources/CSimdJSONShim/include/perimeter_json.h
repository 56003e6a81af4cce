#ifndef PERIMETER_JSON_H
#define PERIMETER_JSON_H
/*
 * C API over simdjson for PerimeterJSON (see shim.cpp). Nothing here throws:
 * every C++ exception is caught inside and turned into a result code.
 * Every pointer handed out points into the parser and stays valid until the
 * next pj_parse or pj_parser_destroy on that parser.
 */
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Name of the simdjson kernel chosen at run time (icelake, haswell, ...). */
const char *pj_active_kernel(void);
/// The simdjson release the shim was built with (its SIMDJSON_VERSION).
const char *pj_library_version(void);

typedef struct pj_parser pj_parser;

enum pj_kind {
    PJ_STRING = 0, PJ_INT64 = 1, PJ_UINT64 = 2, PJ_DOUBLE = 3,
    PJ_TRUE = 4, PJ_FALSE = 5, PJ_NULL = 6
};

enum pj_status {
    PJ_OK = 0,
    PJ_EMPTY = 1,          /* nothing but whitespace */
    PJ_MALFORMED = 2,      /* not valid JSON; message and offset say why */
    PJ_NOT_OBJECT = 3,     /* valid JSON, but not an object */
    PJ_TOO_DEEP = 4,
    PJ_TOO_LARGE = 5,
    PJ_OUT_OF_MEMORY = 6,
    PJ_INTERNAL = 7,       /* a bug of ours */
    PJ_NUMBER_OUT_OF_RANGE = 8  /* valid JSON with a number simdjson cannot hold */
};

/* One scalar leaf. `bits` holds the int64/uint64/double bit pattern. */
typedef struct {
    const char *string;     /* PJ_STRING: unescaped UTF-8, not terminated */
    uint64_t bits;
    uint32_t length;        /* PJ_STRING: byte count */
    int32_t field;          /* selection index, or -1 */
    uint32_t path_offset;   /* into pj_result.paths (collect-all mode) */
    uint32_t path_length;
    uint32_t kind;          /* enum pj_kind */
} pj_value;

/* A byte range [start, end) of the line to delete. */
typedef struct {
    uint64_t start;
    uint64_t end;
} pj_span;

typedef struct {
    uint32_t status;              /* enum pj_status */
    int64_t error_offset;         /* zero-based byte offset, or -1 */
    const char *error_reason;     /* static text, e.g. "unclosed string" */

    const pj_value *leaves;       /* document order */
    size_t leaf_count;
    const pj_value *grouped;      /* selected leaves, grouped by field */
    const uint32_t *field_starts; /* field f: grouped[starts[f] ..< starts[f+1]] */
    const char *paths;            /* dotted paths of leaves (collect-all mode) */

    const pj_span *removed;       /* colliding members, sorted, disjoint */
    size_t removed_count;
    int64_t sekoiaio_close;       /* '}' of the top-level sekoiaio object, or -1 */
    int32_t sekoiaio_keeps_members;
    int32_t document_keeps_members;
    int64_t document_close;       /* the document's closing '}' */
} pj_result;

/* NULL when out of memory. `paths` need not be NUL-terminated. */
pj_parser *pj_parser_create(const char *const *paths, const size_t *lengths,
                            size_t count, int collect_all_leaves);
void pj_parser_destroy(pj_parser *parser);

/* Parses one line; fills `result` and returns its status. */
uint32_t pj_parse(pj_parser *parser, const uint8_t *line, size_t length,
                  pj_result *result);

/* The selected fields of the last line parsed that hold an object, or an
   empty list, where values go (no value, but not absent), in walk order;
   valid until the next parse. Apart from pj_result, which a caller copies
   for every line: most lines have none, and few callers ask. */
const int32_t *pj_shapeless_fields(const pj_parser *parser, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
