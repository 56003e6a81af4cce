// The C face of simdjson for PerimeterJSON.
//
// One pj_parser owns a simdjson DOM parser, a padded copy of the current
// line and every array the result points into, so a steady stream of parses
// allocates nothing once the buffers have grown to the largest event.
//
// The DOM parse validates the whole line. The DOM keeps no source
// positions, so the byte spans of colliding members (sekoiaio.any_asset,
// sekoiaio.assets) come from a second, small scan of the raw bytes, run
// only on events that have a top-level key starting with "sekoiaio". That
// scan trusts the line to be valid JSON, which the DOM parse has just
// established. Error positions come from a third scanner, run only after
// the DOM parse failed, which reads the line as a person would.
#include "perimeter_json.h"
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

using namespace simdjson;

const char *pj_active_kernel(void) {
    return get_active_implementation()->name().data();
}

#define PJ_TEXT_(x) #x
#define PJ_TEXT(x) PJ_TEXT_(x)

const char *pj_library_version(void) {
    return PJ_TEXT(SIMDJSON_VERSION);
}

namespace {

// MARK: - Selection table

// Every selected path, and every proper prefix of one that ends on a
// segment boundary, so the walk can ask "is this path wanted, and can
// anything wanted lie beneath it?" with one lookup.
struct PathEntry {
    std::string key;
    uint64_t hash;
    int32_t field;      // -1 when only a prefix
    bool prefix;        // some selected path continues below this one
};

// FNV-1a runs byte by byte, so the walk can extend a parent path's state
// with ".key" instead of rehashing the whole path at every member.
constexpr uint64_t hash_seed = 1469598103934665603ULL;

inline uint64_t hash_extend(uint64_t state, std::string_view s) {
    for (unsigned char c : s) { state = (state ^ c) * 1099511628211ULL; }
    return state;
}

inline uint64_t hash_finish(uint64_t state) { return state ^ (state >> 29); }

uint64_t hash_bytes(std::string_view s) { return hash_finish(hash_extend(hash_seed, s)); }

class PathTable {
public:
    void add(std::string_view path, int32_t field) {
        for (size_t i = 0; i < path.size(); i++) {
            if (path[i] == '.') { entry(path.substr(0, i)).prefix = true; }
        }
        PathEntry &e = entry(path);
        if (e.field < 0) { e.field = field; }
    }

    // `state` is hash_extend(hash_seed, path).
    const PathEntry *find(std::string_view path, uint64_t state) const {
        if (slots_.empty()) { return nullptr; }
        uint64_t h = hash_finish(state);
        size_t mask = slots_.size() - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            int32_t s = slots_[i];
            if (s < 0) { return nullptr; }
            const PathEntry &e = entries_[s];
            if (e.hash == h && e.key == path) { return &e; }
        }
    }

private:
    PathEntry &entry(std::string_view path) {
        uint64_t h = hash_bytes(path);
        if (!slots_.empty()) {
            size_t mask = slots_.size() - 1;
            for (size_t i = h & mask;; i = (i + 1) & mask) {
                int32_t s = slots_[i];
                if (s < 0) { break; }
                if (entries_[s].hash == h && entries_[s].key == path) {
                    return entries_[s];
                }
            }
        }
        entries_.push_back(PathEntry{std::string(path), h, -1, false});
        rehash();
        return entries_.back();
    }

    void rehash() {
        size_t size = 16;
        while (size < entries_.size() * 4) { size *= 2; }
        slots_.assign(size, -1);
        for (size_t n = 0; n < entries_.size(); n++) {
            size_t i = entries_[n].hash & (size - 1);
            while (slots_[i] >= 0) { i = (i + 1) & (size - 1); }
            slots_[i] = int32_t(n);
        }
    }

    std::vector<PathEntry> entries_;
    std::vector<int32_t> slots_;
};

// MARK: - Colliding fields

// SPEC §2: input fields under these two names would collide with
// Perimeter's output, so they are not values and the writer deletes them.
bool is_colliding_path(std::string_view path) {
    static const std::string_view names[] = {"sekoiaio.any_asset", "sekoiaio.assets"};
    for (std::string_view name : names) {
        if (path.size() >= name.size() && path.compare(0, name.size(), name) == 0 &&
            (path.size() == name.size() || path[name.size()] == '.')) {
            return true;
        }
    }
    return false;
}

bool starts_with_sekoiaio(std::string_view path) {
    return path.size() >= 8 && std::memcmp(path.data(), "sekoiaio", 8) == 0;
}

inline bool is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void append_utf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else if (cp < 0x800) {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(char(0xE0 | (cp >> 12)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (cp >> 18)));
        out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
}

int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') { return c - '0'; }
    if (c >= 'a' && c <= 'f') { return c - 'a' + 10; }
    if (c >= 'A' && c <= 'F') { return c - 'A' + 10; }
    return -1;
}

// Byte positions of members in a line already known to be valid JSON.
// Keys are compared unescaped, as the DOM walk sees them, so that
// "sekoia\u0069o" cannot slip past the collision rule.
class SpanScanner {
public:
    SpanScanner(const uint8_t *bytes, size_t length) : b_(bytes), n_(length) {}

    struct Outcome {
        std::vector<pj_span> *spans;
        int64_t sekoiaio_close = -1;
        bool sekoiaio_keeps = false;
        bool document_keeps = false;
        int64_t document_close = -1;
    };

    bool scan(Outcome &out) {
        size_t i = skip_space(0);
        if (i >= n_ || b_[i] != '{') { return false; }
        return scan_object(i, true, out, out.document_keeps, out.document_close);
    }

private:
    struct Member { size_t key_start; size_t value_end; bool removed; };

    // `i` is at the '{'; returns with `close` at the matching '}'.
    bool scan_object(size_t i, bool top, Outcome &out, bool &keeps, int64_t &close) {
        std::vector<Member> members;
        i = skip_space(i + 1);
        if (i < n_ && b_[i] == '}') { close = int64_t(i); keeps = false; return true; }
        while (i < n_) {
            Member m{i, 0, false};
            std::string_view key;
            if (!read_key(i, key)) { return false; }
            i = skip_space(i);
            if (i >= n_ || b_[i] != ':') { return false; }
            i = skip_space(i + 1);
            if (i >= n_) { return false; }
            if (top && key == "sekoiaio" && b_[i] == '{') {
                int64_t inner_close = -1;
                bool inner_keeps = false;
                if (!scan_object(i, false, out, inner_keeps, inner_close)) { return false; }
                out.sekoiaio_close = inner_close;
                out.sekoiaio_keeps = inner_keeps;
                i = size_t(inner_close) + 1;
            } else {
                if (top) {
                    m.removed = key == "sekoiaio" ||
                                (starts_with_sekoiaio(key) && is_colliding_path(key));
                } else {
                    path_.assign("sekoiaio.");
                    path_.append(key);
                    m.removed = is_colliding_path(path_);
                }
                if (!skip_value(i)) { return false; }
            }
            m.value_end = i;
            members.push_back(m);
            i = skip_space(i);
            if (i >= n_) { return false; }
            if (b_[i] == '}') { close = int64_t(i); break; }
            if (b_[i] != ',') { return false; }
            i = skip_space(i + 1);
        }
        if (close < 0) { return false; }
        keeps = add_removal_spans(members, *out.spans);
        return true;
    }

    // Deletes each run of removed members together with one adjacent
    // comma: the comma after the run when a kept member follows, else the
    // comma before it, else (nothing kept) none. Returns whether any
    // member is kept.
    static bool add_removal_spans(const std::vector<Member> &m, std::vector<pj_span> &spans) {
        bool keeps = false;
        size_t count = m.size();
        for (size_t k = 0; k < count;) {
            if (!m[k].removed) { keeps = true; k++; continue; }
            size_t first = k;
            while (k < count && m[k].removed) { k++; }
            if (k < count) {
                spans.push_back({m[first].key_start, m[k].key_start});
            } else if (first > 0) {
                spans.push_back({m[first - 1].value_end, m[count - 1].value_end});
            } else {
                spans.push_back({m[first].key_start, m[count - 1].value_end});
            }
        }
        return keeps;
    }

    size_t skip_space(size_t i) const {
        while (i < n_ && is_space(b_[i])) { i++; }
        return i;
    }

    // `i` at the opening quote; leaves `i` past the closing one.
    bool read_key(size_t &i, std::string_view &key) {
        if (i >= n_ || b_[i] != '"') { return false; }
        size_t start = ++i;
        bool escaped = false;
        while (i < n_ && b_[i] != '"') {
            if (b_[i] == '\\') { escaped = true; i++; }
            i++;
        }
        if (i >= n_) { return false; }
        size_t end = i++;
        if (!escaped) {
            key = std::string_view(reinterpret_cast<const char *>(b_ + start), end - start);
            return true;
        }
        key_.clear();
        for (size_t j = start; j < end; j++) {
            if (b_[j] != '\\') { key_.push_back(char(b_[j])); continue; }
            uint8_t e = b_[++j];
            switch (e) {
            case 'b': key_.push_back('\b'); break;
            case 'f': key_.push_back('\f'); break;
            case 'n': key_.push_back('\n'); break;
            case 'r': key_.push_back('\r'); break;
            case 't': key_.push_back('\t'); break;
            case 'u': {
                uint32_t cp = 0;
                if (!read_hex4(j + 1, end, cp)) { return false; }
                j += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && j + 2 < end && b_[j + 1] == '\\' &&
                    b_[j + 2] == 'u') {
                    uint32_t low = 0;
                    if (read_hex4(j + 3, end, low) && low >= 0xDC00 && low < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        j += 6;
                    }
                }
                append_utf8(key_, cp);
                break;
            }
            default: key_.push_back(char(e)); break;   // \" \\ \/
            }
        }
        key = key_;
        return true;
    }

    bool read_hex4(size_t j, size_t end, uint32_t &cp) const {
        if (j + 4 > end) { return false; }
        cp = 0;
        for (size_t k = j; k < j + 4; k++) {
            int v = hex_value(b_[k]);
            if (v < 0) { return false; }
            cp = cp * 16 + uint32_t(v);
        }
        return true;
    }

    bool skip_string(size_t &i) const {
        i++;
        while (i < n_ && b_[i] != '"') { i += b_[i] == '\\' ? 2 : 1; }
        if (i >= n_) { return false; }
        i++;
        return true;
    }

    bool skip_value(size_t &i) const {
        uint8_t c = b_[i];
        if (c == '"') { return skip_string(i); }
        if (c == '{' || c == '[') {
            size_t depth = 0;
            while (i < n_) {
                c = b_[i];
                if (c == '"') {
                    if (!skip_string(i)) { return false; }
                    continue;
                }
                if (c == '{' || c == '[') { depth++; }
                if (c == '}' || c == ']') {
                    if (--depth == 0) { i++; return true; }
                }
                i++;
            }
            return false;
        }
        while (i < n_ && !is_space(b_[i]) && b_[i] != ',' && b_[i] != '}' && b_[i] != ']') {
            i++;
        }
        return true;
    }

    const uint8_t *b_;
    size_t n_;
    std::string key_;
    std::string path_;
};

// MARK: - Error locator

// Reads an invalid line as a person would, to say where and why it is
// invalid; runs only after simdjson refused the line.
class ErrorLocator {
public:
    ErrorLocator(const uint8_t *bytes, size_t length) : b_(bytes), n_(length) {}

    // True when an error was found; `reason` and `offset` then say it.
    bool locate() {
        size_t i = skip_space(0);
        if (!value(i, 0)) { return true; }
        i = skip_space(i);
        if (i < n_) {
            fail(i, "unexpected content after the JSON value");
            return true;
        }
        return false;
    }

    const char *reason = nullptr;
    size_t offset = 0;

private:
    static constexpr size_t max_depth = 1024;

    bool fail(size_t at, const char *why) {
        reason = why;
        offset = at;
        return false;
    }

    size_t skip_space(size_t i) const {
        while (i < n_ && is_space(b_[i])) { i++; }
        return i;
    }

    bool value(size_t &i, size_t depth) {
        if (i >= n_) { return fail(n_, "unexpected end of input (cut short?)"); }
        switch (b_[i]) {
        case '{': return object(i, depth + 1);
        case '[': return array(i, depth + 1);
        case '"': return string(i);
        case 't': return literal(i, "true");
        case 'f': return literal(i, "false");
        case 'n': return literal(i, "null");
        default:
            if (b_[i] == '-' || (b_[i] >= '0' && b_[i] <= '9')) { return number(i); }
            return fail(i, "unexpected character where a value was expected");
        }
    }

    bool object(size_t &i, size_t depth) {
        if (depth > max_depth) { return fail(i, "nested too deep"); }
        i = skip_space(i + 1);
        if (i < n_ && b_[i] == '}') { i++; return true; }
        while (true) {
            if (i >= n_) { return fail(n_, "unclosed object (cut short?)"); }
            if (b_[i] != '"') { return fail(i, "expected a quoted key"); }
            if (!string(i)) { return false; }
            i = skip_space(i);
            if (i >= n_) { return fail(n_, "unclosed object (cut short?)"); }
            if (b_[i] != ':') { return fail(i, "expected ':' after the key"); }
            i = skip_space(i + 1);
            if (!value(i, depth)) { return false; }
            i = skip_space(i);
            if (i >= n_) { return fail(n_, "unclosed object (cut short?)"); }
            if (b_[i] == '}') { i++; return true; }
            if (b_[i] != ',') { return fail(i, "expected ',' or '}' after a member"); }
            i = skip_space(i + 1);
        }
    }

    bool array(size_t &i, size_t depth) {
        if (depth > max_depth) { return fail(i, "nested too deep"); }
        i = skip_space(i + 1);
        if (i < n_ && b_[i] == ']') { i++; return true; }
        while (true) {
            if (!value(i, depth)) { return false; }
            i = skip_space(i);
            if (i >= n_) { return fail(n_, "unclosed array (cut short?)"); }
            if (b_[i] == ']') { i++; return true; }
            if (b_[i] != ',') { return fail(i, "expected ',' or ']' after an element"); }
            i = skip_space(i + 1);
        }
    }

    bool string(size_t &i) {
        size_t open = i++;
        while (i < n_) {
            uint8_t c = b_[i];
            if (c == '"') { i++; return true; }
            if (c < 0x20) { return fail(i, "unescaped control character in a string"); }
            if (c == '\\') {
                if (i + 1 >= n_) { break; }
                uint8_t e = b_[i + 1];
                if (e == 'u') {
                    uint32_t unit = 0;
                    if (!hex4(i + 2, unit)) { return fail(i, "invalid \\u escape in a string"); }
                    if (unit >= 0xDC00 && unit < 0xE000) {
                        return fail(i, "unpaired surrogate \\u escape in a string");
                    }
                    if (unit >= 0xD800 && unit < 0xDC00) {
                        uint32_t low = 0;
                        if (i + 7 >= n_ || b_[i + 6] != '\\' || b_[i + 7] != 'u' ||
                            !hex4(i + 8, low) || low < 0xDC00 || low >= 0xE000) {
                            return fail(i, "unpaired surrogate \\u escape in a string");
                        }
                        i += 6;
                    }
                    i += 6;
                    continue;
                }
                if (!std::strchr("\"\\/bfnrt", e) || e == 0) {
                    return fail(i, "invalid escape in a string");
                }
                i += 2;
                continue;
            }
            if (c < 0x80) { i++; continue; }
            size_t width = utf8_width(i);
            if (width == 0) { return fail(i, "invalid UTF-8 in a string"); }
            i += width;
        }
        return fail(open, "unclosed string");
    }

    bool hex4(size_t at, uint32_t &unit) const {
        if (at + 4 > n_) { return false; }
        unit = 0;
        for (size_t k = at; k < at + 4; k++) {
            int v = hex_value(b_[k]);
            if (v < 0) { return false; }
            unit = unit * 16 + uint32_t(v);
        }
        return true;
    }

    // Width of the well-formed UTF-8 sequence at `i`, or 0 (RFC 3629).
    size_t utf8_width(size_t i) const {
        uint8_t c = b_[i];
        size_t width;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { width = 2; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { width = 3; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { width = 4; cp = c & 0x07; }
        else { return 0; }
        if (i + width > n_) { return 0; }
        for (size_t k = 1; k < width; k++) {
            if ((b_[i + k] & 0xC0) != 0x80) { return 0; }
            cp = (cp << 6) | (b_[i + k] & 0x3F);
        }
        if ((width == 3 && cp < 0x800) || (width == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
            return 0;
        }
        return width;
    }

    bool literal(size_t &i, const char *word) {
        size_t length = std::strlen(word);
        if (i + length > n_ || std::memcmp(b_ + i, word, length) != 0) {
            return fail(i, "invalid literal (expected true, false or null)");
        }
        i += length;
        return true;
    }

    bool number(size_t &i) {
        size_t start = i;
        if (b_[i] == '-') { i++; }
        if (i >= n_ || !digit(b_[i])) { return fail(start, "invalid number"); }
        if (b_[i] == '0') { i++; } else { while (i < n_ && digit(b_[i])) { i++; } }
        if (i < n_ && b_[i] == '.') {
            i++;
            if (i >= n_ || !digit(b_[i])) { return fail(start, "invalid number"); }
            while (i < n_ && digit(b_[i])) { i++; }
        }
        if (i < n_ && (b_[i] == 'e' || b_[i] == 'E')) {
            i++;
            if (i < n_ && (b_[i] == '+' || b_[i] == '-')) { i++; }
            if (i >= n_ || !digit(b_[i])) { return fail(start, "invalid number"); }
            while (i < n_ && digit(b_[i])) { i++; }
        }
        if (i < n_ && !is_space(b_[i]) && !std::strchr(",]}", b_[i])) {
            return fail(start, "invalid number");
        }
        if (out_of_range < 0 && !fits(start, i)) { out_of_range = int64_t(start); }
        return true;
    }

    // Whether simdjson can hold the number: an integer in int64 or uint64,
    // or a finite double.
    bool fits(size_t start, size_t end) const {
        std::string token(reinterpret_cast<const char *>(b_ + start), end - start);
        if (token.find_first_of(".eE") != std::string::npos) {
            return std::isfinite(std::strtod(token.c_str(), nullptr));
        }
        bool negative = token[0] == '-';
        std::string digits = negative ? token.substr(1) : token;
        std::string limit = negative ? "9223372036854775808" : "18446744073709551615";
        return digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit);
    }

public:
    /// Offset of the first syntactically valid number simdjson cannot hold.
    int64_t out_of_range = -1;

private:

    static bool digit(uint8_t c) { return c >= '0' && c <= '9'; }

    const uint8_t *b_;
    size_t n_;
};

const char *kind_name(dom::element_type type) {
    switch (type) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
    default: return "a number";
    }
}

} // namespace

// MARK: - Parser

// The dotted path of the member being walked. A std::string's append is a
// call into libstdc++ for every member walked: this buffer, sized once per
// line and written in place, takes a seventh of the walk's instructions
// away (callgrind). A path is never longer than its line, where each
// key is written quoted (escapes only lengthen it), but `append` grows the
// buffer rather than trust that.
struct PathBuffer {
    std::vector<char> bytes;
    size_t size = 0;

    void reset(size_t capacity) {
        if (bytes.size() < capacity) { bytes.resize(capacity); }
        size = 0;
    }
    void append(std::string_view text) {
        if (size + text.size() > bytes.size()) { bytes.resize((size + text.size()) * 2); }
        std::memcpy(bytes.data() + size, text.data(), text.size());
        size += text.size();
    }
    std::string_view view() const { return std::string_view(bytes.data(), size); }
};

struct pj_parser {
    dom::parser dom;
    PathTable table;
    size_t field_count = 0;
    bool collect_all = false;

    std::vector<uint8_t> line;          // the padded copy simdjson reads
    // The numbers simdjson cannot hold written over in `line` (integers
    // past 64 bits, decimals past double range; see rewrite_big_integer),
    // in the line's order: the double each became, its text as the event
    // gave it (which the leaf of that double is read as), and whether a
    // leaf took it yet (two numbers of one line may become one double).
    struct BigInteger {
        double value;
        std::string digits;
        bool taken;
    };
    std::vector<BigInteger> big_integers;
    PathBuffer path;                    // dotted path of the member being walked
    std::vector<pj_value> leaves;
    std::vector<pj_value> grouped;
    std::vector<uint32_t> field_starts;
    std::string paths;                  // collect-all: every leaf's path
    std::vector<pj_span> removed;
    // Selected fields met holding an object, or an empty list, where
    // scalar values go: no value, but not absent (an object @timestamp).
    std::vector<int32_t> shapeless_fields;
    bool needs_span_scan = false;
    bool removed_any = false;
    std::string error_text;

    // `state` is the path hash state of the object's own path.
    void walk_object(dom::object object, size_t depth, uint64_t state) {
        if (depth > 0) { state = hash_extend(state, "."); }
        for (dom::key_value_pair member : object) {
            size_t saved = path.size;
            if (depth > 0) { path.append("."); }
            path.append(member.key);
            if (starts_with_sekoiaio(path.view()) && collides(member.value, depth)) {
                path.size = saved;
                continue;
            }
            uint64_t member_state = hash_extend(state, member.key);
            const PathEntry *entry = table.find(path.view(), member_state);
            if (entry || collect_all) { walk_value(member.value, entry, depth, member_state); }
            path.size = saved;
        }
    }

    bool collides(dom::element value, size_t depth) {
        bool colliding;
        if (depth == 0 && path.size == 8) {
            // A top-level "sekoiaio" that is not an object cannot take
            // Perimeter's members, so it is replaced as a whole.
            colliding = value.type() != dom::element_type::OBJECT;
            needs_span_scan = true;
        } else {
            colliding = is_colliding_path(path.view());
        }
        if (colliding) {
            removed_any = true;
            needs_span_scan = true;
        }
        return colliding;
    }

    void walk_value(dom::element value, const PathEntry *entry, size_t depth,
                    uint64_t state) {
        switch (value.type()) {
        case dom::element_type::OBJECT:
            if (entry && entry->field >= 0) { shapeless_fields.push_back(entry->field); }
            if (collect_all || entry->prefix) {
                walk_object(value.get_object().value_unsafe(), depth + 1, state);
            }
            return;
        case dom::element_type::ARRAY:
            if (entry && entry->field >= 0 && value.get_array().value_unsafe().size() == 0) {
                shapeless_fields.push_back(entry->field);
            }
            for (dom::element element : value.get_array().value_unsafe()) {
                walk_value(element, entry, depth, state);
            }
            return;
        default:
            break;
        }
        int32_t field = entry ? entry->field : -1;
        if (field < 0 && !collect_all) { return; }

        pj_value leaf{};
        leaf.field = field;
        switch (value.type()) {
        case dom::element_type::STRING: {
            std::string_view s = value.get_string().value_unsafe();
            leaf.kind = PJ_STRING;
            leaf.string = s.data();
            leaf.length = uint32_t(s.size());
            break;
        }
        case dom::element_type::INT64: {
            int64_t v = value.get_int64().value_unsafe();
            leaf.kind = PJ_INT64;
            std::memcpy(&leaf.bits, &v, 8);
            break;
        }
        case dom::element_type::UINT64:
            leaf.kind = PJ_UINT64;
            leaf.bits = value.get_uint64().value_unsafe();
            break;
        case dom::element_type::DOUBLE: {
            double v = value.get_double().value_unsafe();
            leaf.kind = PJ_DOUBLE;
            std::memcpy(&leaf.bits, &v, 8);
            // An integer past 64 bits is its exact digits, as text: a host
            // id of 30 digits must not become a double that another id
            // sharing its first 16 digits also becomes.
            for (auto &big : big_integers) {
                if (big.taken || std::memcmp(&big.value, &v, 8) != 0) { continue; }
                big.taken = true;
                leaf.kind = PJ_STRING;
                leaf.string = big.digits.data();
                leaf.length = uint32_t(big.digits.size());
                break;
            }
            break;
        }
        case dom::element_type::BOOL:
            leaf.kind = value.get_bool().value_unsafe() ? PJ_TRUE : PJ_FALSE;
            break;
        default:
            leaf.kind = PJ_NULL;
            break;
        }
        if (collect_all) {
            leaf.path_offset = uint32_t(paths.size());
            leaf.path_length = uint32_t(path.size);
            paths.append(path.view());
        }
        leaves.push_back(leaf);
    }

    // Counting sort of the selected leaves by field, keeping document order.
    void group() {
        field_starts.assign(field_count + 1, 0);
        for (const pj_value &leaf : leaves) {
            if (leaf.field >= 0) { field_starts[size_t(leaf.field) + 1]++; }
        }
        for (size_t f = 0; f < field_count; f++) { field_starts[f + 1] += field_starts[f]; }
        grouped.resize(field_starts[field_count]);
        cursor.assign(field_starts.begin(), field_starts.end() - 1);
        for (const pj_value &leaf : leaves) {
            if (leaf.field >= 0) { grouped[cursor[size_t(leaf.field)]++] = leaf; }
        }
    }
    std::vector<uint32_t> cursor;

    uint32_t fail(pj_result *result, uint32_t status, const char *reason, int64_t offset) {
        result->status = status;
        result->error_reason = reason;
        result->error_offset = offset;
        return status;
    }

    uint32_t parse(const uint8_t *bytes, size_t length, pj_result *result) {
        std::memset(result, 0, sizeof *result);
        result->error_offset = -1;
        result->sekoiaio_close = -1;
        leaves.clear();
        paths.clear();
        removed.clear();
        shapeless_fields.clear();
        path.reset(length + 1);
        needs_span_scan = false;
        removed_any = false;

        // simdjson reads up to SIMDJSON_PADDING bytes past the end.
        if (line.size() < length + SIMDJSON_PADDING) { line.resize(length + SIMDJSON_PADDING); }
        if (length > 0) { std::memcpy(line.data(), bytes, length); }
        std::memset(line.data() + length, 0, SIMDJSON_PADDING);

        dom::element root;
        big_integers.clear();
        error_code code = dom.parse(line.data(), length, false).get(root);
        // A whole number past 64 bits (a counter, an id written as a
        // number) is valid JSON that simdjson 3.0 cannot hold: the parser's
        // copy of the line gets it as a double written in the same number
        // of bytes, so that every offset stays the original line's, and
        // its leaf is read as the original digits (`big_integers`): the
        // event is read rather than refused whole.
        // Reserved, so that the digits' storage never moves while leaves
        // point into it.
        if (code != SUCCESS) { big_integers.reserve(max_big_integers); }
        for (int rewrites = 0; code != SUCCESS && rewrites < max_big_integers; rewrites++) {
            if (!rewrite_big_integer(length)) { break; }
            code = dom.parse(line.data(), length, false).get(root);
        }
        if (code != SUCCESS) { return parse_failure(code, length, result); }
        if (root.type() != dom::element_type::OBJECT) {
            return fail(result, PJ_NOT_OBJECT, kind_name(root.type()), -1);
        }
        walk_object(root.get_object().value_unsafe(), 0, hash_seed);
        group();

        SpanScanner::Outcome outcome;
        outcome.spans = &removed;
        if (needs_span_scan) {
            SpanScanner scanner(line.data(), length);
            if (!scanner.scan(outcome)) {
                return fail(result, PJ_INTERNAL, "span scan disagrees with simdjson", -1);
            }
            std::sort(removed.begin(), removed.end(),
                      [](const pj_span &a, const pj_span &b) { return a.start < b.start; });
        } else {
            size_t end = length;
            while (end > 0 && is_space(line[end - 1])) { end--; }
            outcome.document_close = int64_t(end) - 1;
            outcome.document_keeps = root.get_object().value_unsafe().size() > 0;
        }
        // The walk skips subtrees nothing selected lies in, so it may miss
        // collisions the scan finds; it can never see one the scan misses.
        if (removed_any && removed.empty()) {
            return fail(result, PJ_INTERNAL, "span scan missed a colliding member", -1);
        }

        result->status = PJ_OK;
        result->leaves = leaves.data();
        result->leaf_count = leaves.size();
        result->grouped = grouped.data();
        result->field_starts = field_starts.data();
        result->paths = paths.data();
        result->removed = removed.data();
        result->removed_count = removed.size();
        result->sekoiaio_close = outcome.sekoiaio_close;
        result->sekoiaio_keeps_members = outcome.sekoiaio_keeps;
        result->document_keeps_members = outcome.document_keeps;
        result->document_close = outcome.document_close;
        return PJ_OK;
    }

    /// Writes the first number of the line that simdjson cannot hold over,
    /// in place, with one of the same length, whose leaf then reads as the
    /// original text: an integer past 64 bits as `d.ddd…eN` (its leading
    /// digits: a double keeps no more), a decimal past double range
    /// (`1e400`) as `7e-0…77`, a value events hardly write (one that does,
    /// anywhere in the same line, may take that decimal's text). False
    /// when the line has none, or a syntax error. A decimal past range
    /// refused the whole event, so that one numeric field could hide it
    /// from every rule.
    bool rewrite_big_integer(size_t length) {
        ErrorLocator locator(line.data(), length);
        if (locator.locate() || locator.out_of_range < 0) { return false; }
        size_t start = size_t(locator.out_of_range);
        if (line[start] == '-') { start++; }
        size_t end = start;
        while (end < length && line[end] >= '0' && line[end] <= '9') { end++; }
        if (end < length && (line[end] == '.' || line[end] == 'e' || line[end] == 'E')) {
            return rewrite_huge_decimal(start, length);
        }
        size_t digits = end - start;
        std::string exponent = std::to_string(digits - 1);
        if (digits < 3 + exponent.size() + 1) { return false; }
        size_t sign = start - size_t(locator.out_of_range);
        std::string original(reinterpret_cast<const char *>(line.data() + start - sign),
                             digits + sign);
        size_t kept = digits - 3 - exponent.size();
        std::string text;
        text.reserve(digits);
        text.push_back(char(line[start]));
        text.push_back('.');
        text.append(reinterpret_cast<const char *>(line.data() + start + 1), kept);
        text.push_back('e');
        text.append(exponent);
        std::memcpy(line.data() + start, text.data(), digits);
        double value = std::strtod(std::string(reinterpret_cast<const char *>(
            line.data() + start - sign), digits + sign).c_str(), nullptr);
        big_integers.push_back(BigInteger{value, std::move(original), false});
        return true;
    }

    /// The decimal whose digits begin at `start` (after any sign), past
    /// double range: see `rewrite_big_integer`.
    bool rewrite_huge_decimal(size_t start, size_t length) {
        size_t token_start = start;
        if (token_start > 0 && line[token_start - 1] == '-') { token_start--; }
        size_t end = start;
        auto in_number = [](uint8_t c) {
            return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
                c == '-';
        };
        while (end < length && in_number(line[end])) { end++; }
        size_t width = end - start;
        if (width < 5) { return false; }
        std::string original(reinterpret_cast<const char *>(line.data() + token_start),
                             end - token_start);
        std::string text = "7e-" + std::string(width - 5, '0') + "77";
        std::memcpy(line.data() + start, text.data(), width);
        double value = std::strtod(std::string(reinterpret_cast<const char *>(
            line.data() + token_start), end - token_start).c_str(), nullptr);
        big_integers.push_back(BigInteger{value, std::move(original), false});
        return true;
    }

    static constexpr int max_big_integers = 64;

    uint32_t parse_failure(error_code code, size_t length, pj_result *result) {
        switch (code) {
        case EMPTY: return fail(result, PJ_EMPTY, "nothing but whitespace", -1);
        case DEPTH_ERROR: return fail(result, PJ_TOO_DEEP, "nested too deep", -1);
        case CAPACITY: return fail(result, PJ_TOO_LARGE, "larger than the parser allows", -1);
        case MEMALLOC: return fail(result, PJ_OUT_OF_MEMORY, "out of memory", -1);
        default: break;
        }
        ErrorLocator locator(line.data(), length);
        if (locator.locate()) {
            return fail(result, PJ_MALFORMED, locator.reason, int64_t(locator.offset));
        }
        if (locator.out_of_range >= 0) {
            return fail(result, PJ_NUMBER_OUT_OF_RANGE,
                        "a number beyond 64-bit integer or double range",
                        locator.out_of_range);
        }
        // Our locator found nothing: fall back on simdjson's own words.
        return fail(result, PJ_MALFORMED, error_message(code), -1);
    }
};

pj_parser *pj_parser_create(const char *const *paths, const size_t *lengths,
                            size_t count, int collect_all_leaves) {
    try {
        pj_parser *parser = new pj_parser();
        parser->collect_all = collect_all_leaves != 0;
        parser->field_count = count;
        for (size_t i = 0; i < count; i++) {
            parser->table.add(std::string_view(paths[i], lengths[i]), int32_t(i));
        }
        return parser;
    } catch (...) {
        return nullptr;
    }
}

void pj_parser_destroy(pj_parser *parser) { delete parser; }

const int32_t *pj_shapeless_fields(const pj_parser *parser, size_t *count) {
    *count = parser->shapeless_fields.size();
    return parser->shapeless_fields.data();
}

uint32_t pj_parse(pj_parser *parser, const uint8_t *line, size_t length, pj_result *result) {
    try {
        return parser->parse(line, length, result);
    } catch (const std::bad_alloc &) {
        std::memset(result, 0, sizeof *result);
        return parser->fail(result, PJ_OUT_OF_MEMORY, "out of memory", -1);
    } catch (...) {
        std::memset(result, 0, sizeof *result);
        return parser->fail(result, PJ_INTERNAL, "unexpected C++ exception", -1);
    }
}
