#!/usr/bin/env python3
"""Differential test of Perimeter's Sigma engine against pySigma's SQLite backend.

Two runs:
  windows  the raw SigmaHQ Windows rules over ../shared/corpus/windows-native
           (native field names on both sides, no mapping);
  ecs      Perimeter's own ECS-written rules (ecs-rules/) over ../shared/corpus/ecs.

Each run prints the (rule, event) pairs matched on both sides, then every
disagreement with its class. Both sides ignore log sources (pySigma without a
pipeline adds no log-source conditions; Perimeter runs with `--mapping none`).

The SQLite side follows Sigma where SQL would not on its own:
  * case-insensitive collation: columns are NUMERIC COLLATE NOCASE (numbers compare
    as numbers, `'4624'` equals 4624, a hex string stays text) and the backend's
    collate_nocase option is on;
  * list fields: an event becomes one row per combination of the elements of the
    list fields the rule reads (an event matches when any of its rows does). That is
    Sigma's any-element reading for positive tests; it is not for `not` over a list
    or `|all` across elements, whose disagreements are classified as such;
  * keywords: a _fulltext column holds every string leaf, one per line.

Usage: differential.py --engine "perimeter rules" [--run windows|ecs|both]
       differential.py --bench DIR   (rules-N.yml and events.ndjson written by
                                      DetectionBenchmark.export: reference speed)
Makes its own virtualenv (.venv beside this file) with requirements.txt; when pip
cannot reach PyPI it prints SKIP and exits 0.
"""
import argparse
import itertools
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.environ.get("PERIMETER_CORPUS",
                        os.path.join(os.path.dirname(PACKAGE), "shared", "corpus"))
VENV = os.environ.get("SIGMA_REFERENCE_VENV", os.path.join(HERE, ".venv"))
MAX_ROWS_PER_EVENT = 256


def ensure_venv():
    """Re-executes this script inside the test virtualenv, creating it when needed."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    marker = os.path.join(VENV, ".installed")
    if not os.path.exists(marker):
        result = subprocess.run(
            [python, "-m", "pip", "install", "-q", "-r",
             os.path.join(HERE, "requirements.txt")],
            capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            print("SKIP: pip could not install pySigma:", result.stderr.strip()[-400:])
            sys.exit(0)
        open(marker, "w").close()
    os.execv(python, [python] + sys.argv)


# MARK: - Events

def leaves(value, path=""):
    """(dotted path, scalar or list of scalars) for every leaf, arrays of objects merged."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        scalars = []
        for item in value:
            if isinstance(item, (dict, list)):
                yield from leaves(item, path)
            else:
                scalars.append(item)
        if scalars:
            yield path, scalars
    else:
        yield path, value


def flatten(event):
    fields = {}
    for path, value in leaves(event):
        values = value if isinstance(value, list) else [value]
        fields.setdefault(path, []).extend(values)
    return fields


def sql_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def load_events(paths):
    events = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    events.append(json.loads(line))
    return events


# MARK: - Reference side

def rule_fields(rule):
    from sigma.rule import SigmaDetection, SigmaDetectionItem
    from sigma.types import SigmaFieldReference
    fields = set()

    def walk(item):
        if isinstance(item, SigmaDetection):
            for child in item.detection_items:
                walk(child)
        elif isinstance(item, SigmaDetectionItem):
            if item.field:
                fields.add(item.field)
            for value in item.value:
                if isinstance(value, SigmaFieldReference):
                    fields.add(value.field)
    for detection in rule.detection.detections.values():
        walk(detection)
    return sorted(fields)


def regexp(pattern, value):
    if value is None:
        return None
    try:
        return 1 if re.search(pattern, str(value)) else 0
    except re.error:
        return 0


def reference_matches(rule_paths, events):
    """Matches of pySigma's SQLite queries: {rule id: set(event index)}, refusals, seconds."""
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection

    backend = sqliteBackend(collate_nocase=True, fulltext_field="_fulltext")
    flattened = [flatten(event) for event in events]
    fulltext = ["\n".join(str(v) for values in fields.values() for v in values
                          if isinstance(v, str)) for fields in flattened]
    matches, refused, titles = {}, {}, {}
    elapsed = 0.0
    for path in rule_paths:
        try:
            collection = SigmaCollection.load_ruleset([path])
        except Exception as error:  # the reference cannot read this file
            refused[os.path.basename(path)] = f"load: {error}"
            continue
        for rule in collection.rules:
            rule_id = str(rule.id)
            titles[rule_id] = rule.title
            try:
                queries = backend.convert_rule(rule)
                fields = rule_fields(rule)
            except Exception as error:
                refused[rule_id] = f"{type(error).__name__}: {str(error)[:160]}"
                continue
            connection = sqlite3.connect(":memory:")
            connection.create_function("REGEXP", 2, regexp, deterministic=True)
            columns = ["_event"] + fields + ["_fulltext"]
            connection.execute("CREATE TABLE logs (" + ", ".join(
                f'"{c}" NUMERIC COLLATE NOCASE' for c in columns) + ")")
            rows = []
            for index, fields_of_event in enumerate(flattened):
                choices = [fields_of_event.get(f, [None]) or [None] for f in fields]
                for count, combination in enumerate(itertools.product(*choices)):
                    if count >= MAX_ROWS_PER_EVENT:
                        break
                    rows.append([index] + [sql_value(v) for v in combination]
                                + [fulltext[index]])
            connection.executemany(
                f"INSERT INTO logs VALUES ({', '.join('?' * len(columns))})", rows)
            hits = set()
            started = time.perf_counter()
            try:
                for query in queries:
                    where = query.split(" WHERE ", 1)[1]
                    sql = f"SELECT DISTINCT _event FROM logs WHERE {where}"
                    hits.update(row[0] for row in connection.execute(sql))
            except sqlite3.Error as error:
                refused[rule_id] = f"sqlite: {error}"
                continue
            finally:
                elapsed += time.perf_counter() - started
                connection.close()
            matches[rule_id] = hits
    return matches, refused, titles, elapsed


# MARK: - Perimeter side

def perimeter_matches(engine, rule_dir, events_file):
    command = shlex.split(engine) + ["test", rule_dir, events_file, "--json",
                                     "--mapping", "none"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"perimeter failed ({result.returncode}): {result.stderr[-800:]}")
    matches = {}
    for line in result.stdout.splitlines():
        item = json.loads(line)
        matches.setdefault(item["rule_id"], set()).add(item["line"] - 1)
    refused = {}
    check = subprocess.run(shlex.split(engine) + ["check", rule_dir, "--json", "--mapping",
                                                   "none"], capture_output=True, text=True)
    for line in check.stdout.splitlines():
        item = json.loads(line)
        if not item["ok"]:
            refused[item["id"] or item["path"]] = item["reason"]
    return matches, refused, elapsed


# MARK: - Comparison

# Disagreements reviewed by hand; each is pinned by a test in
# Tests/PerimeterDetectionTests (DifferentialPinTests).
KNOWN = {
    "679a4913-0002-50be-abf3-80386dc568c5":
        "reference-cidr-as-like: the backend turns 1.2.3.0/24 into LIKE '1.2.3.%', which "
        "misses the IPv4-mapped address ::ffff:1.2.3.4; Perimeter reads it as 1.2.3.4 "
        "(a deliberate choice)",
    "c730d914-cab1-51d2-bdf8-a775ea81b706":
        "reference-cidr-as-like: the backend turns ::/0 into LIKE '%', which matches every "
        "IPv4 address too; an IPv4 address is not in an IPv6 network",
}


def classify(rule_id, rule_text):
    """The reviewed class of a disagreement, else a first guess from the rule's text."""
    if rule_id in KNOWN:
        return KNOWN[rule_id].split(":", 1)[0]
    if re.search(r"\|(re)\b", rule_text):
        return "regex-dialect"
    if "|windash" in rule_text or "|base64" in rule_text or "|wide" in rule_text:
        return "encoding-modifier"
    if "|cidr" in rule_text:
        return "cidr"
    if re.search(r"\bnot\b", rule_text):
        return "not-over-list-or-missing"
    if "|all" in rule_text:
        return "all-across-list-elements"
    return "unclassified"


def run(name, engine, rule_paths, rule_dir, event_paths, limit_pairs):
    events = load_events(event_paths)
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as handle:
        for event in events:
            handle.write(json.dumps(event) + "\n")
        events_file = handle.name
    ours, our_refused, our_seconds = perimeter_matches(engine, rule_dir, events_file)
    theirs, their_refused, titles, their_seconds = reference_matches(rule_paths, events)
    texts = {}
    for path in rule_paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for match in re.finditer(r"^id:\s*(\S+)", text, re.M):
            texts[match.group(1)] = text

    both_rules = sorted(r for r in set(ours) & set(theirs) if ours[r] & theirs[r])
    print(f"== run {name}: {len(rule_paths)} rule files, {len(events)} events")
    print(f"perimeter: {sum(map(len, ours.values()))} pairs from {len(ours)} rules, "
          f"{len(our_refused)} refused; reference: {sum(map(len, theirs.values()))} pairs "
          f"from {sum(1 for v in theirs.values() if v)} rules, {len(their_refused)} refused")
    print(f"rules matching at least one event on both sides: {len(both_rules)}")
    print("-- matched pairs (rule, event index) on both sides")
    shown = 0
    for rule in both_rules:
        for event in sorted(ours[rule] & theirs[rule]):
            if shown < limit_pairs:
                print(f"  {rule}  event {event}  {titles.get(rule, '')[:60]}")
            shown += 1
    if shown > limit_pairs:
        print(f"  … {shown - limit_pairs} more pairs")
    print("-- disagreements")
    classes = {}
    for rule in sorted(set(ours) | set(theirs)):
        if rule in their_refused:
            continue
        only_ours = ours.get(rule, set()) - theirs.get(rule, set())
        only_theirs = theirs.get(rule, set()) - ours.get(rule, set())
        if not only_ours and not only_theirs:
            continue
        label = classify(rule, texts.get(rule, ""))
        classes[label] = classes.get(label, 0) + 1
        print(f"  [{label}] {rule} {titles.get(rule, '')[:50]!r}: perimeter-only "
              f"{sorted(only_ours)[:8]}, reference-only {sorted(only_theirs)[:8]}")
    for rule in sorted(set(KNOWN) & (set(ours) | set(theirs))):
        print(f"  known {rule}: {KNOWN[rule]}")
    for rule, reason in sorted(their_refused.items()):
        print(f"  [reference-refused] {rule}: {reason}")
    for rule, reason in sorted(our_refused.items()):
        print(f"  [perimeter-refused] {rule}: {reason}")
    print(f"-- disagreement classes: {classes or 'none'}")
    converted = len(theirs)
    print(f"-- speed: perimeter (whole `rules test` process, debug or release as built) "
          f"{len(events) / our_seconds:,.0f} events/s over {len(ours) or 0} matching rules; "
          f"reference SQLite queries alone {len(events) / max(their_seconds, 1e-9):,.0f} "
          f"events/s for {converted} rules")
    os.unlink(events_file)
    return len(both_rules), sum(classes.values())


# MARK: - Benchmark rules on the reference

def to_ecs(rule, mapping):
    """A generated Sigma-taxonomy rule rewritten in ECS names with its log-source gate
    as a selection, as Perimeter's built-in mapping reads it."""
    source_of = rule.get("logsource", {})
    key = tuple(source_of.get(k) for k in ("product", "category", "service"))
    source = next((s for s in mapping["logsources"].values()
                   if tuple(s.get(k) for k in ("product", "category", "service")) == key), None)
    if source is None:
        return rule

    def rename(name):
        """The ECS names a Sigma name reads: one, or several of which an event
        fills one (the mapping's list form)."""
        field, _, modifiers = name.partition("|")
        if field.startswith("sekoiaio."):
            mapped = field
        else:
            mapped = (source.get("fields") or {}).get(field) or mapping["fields"].get(field)
            if mapped is None:
                mapped = (source.get("unlisted_field_prefix") or "") + field
        suffix = "|" + modifiers if modifiers else ""
        return [m + suffix for m in (mapped if isinstance(mapped, list) else [mapped])]

    def convert(selection):
        if isinstance(selection, dict):
            # A name read from several fields makes the map a list of maps
            # (OR), one per field: the generated rules test no absence there.
            options = [{}]
            for key, value in selection.items():
                options = [dict(option, **{name: value})
                           for option in options for name in rename(key)]
            return options[0] if len(options) == 1 else options
        if isinstance(selection, list):
            converted = []
            for item in selection:
                item = convert(item)
                converted += item if isinstance(item, list) else [item]
            return converted
        return selection
    detection = {name: (value if name == "condition" else convert(value))
                 for name, value in rule["detection"].items()}
    if source.get("conditions"):
        detection["gate_logsource"] = source["conditions"]
        detection["condition"] = f"gate_logsource and ({detection['condition']})"
    return dict(rule, detection=detection, taxonomy="ecs")


def bench(directory):
    import yaml
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection
    mapping_path = os.path.join(PACKAGE, "Sources", "PerimeterDetection", "Resources",
                                "sigma-ecs-mapping.yml")
    with open(mapping_path, encoding="utf-8") as handle:
        mapping = yaml.safe_load(handle)
    events = load_events([os.path.join(directory, "events.ndjson")])
    flattened = [flatten(event) for event in events]
    backend = sqliteBackend(collate_nocase=True)
    for name in sorted(os.listdir(directory)):
        if not name.startswith("rules-"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            documents = [to_ecs(doc, mapping) for doc in yaml.safe_load_all(handle)]
        collection = SigmaCollection.from_dicts(documents)
        queries = []
        fields = set()
        for rule in collection.rules:
            queries.extend(backend.convert_rule(rule))
            fields.update(rule_fields(rule))
        fields = sorted(fields)
        connection = sqlite3.connect(":memory:")
        connection.create_function("REGEXP", 2, regexp, deterministic=True)
        columns = ["_event"] + fields
        connection.execute("CREATE TABLE logs (" + ", ".join(
            f'"{c}" NUMERIC COLLATE NOCASE' for c in columns) + ")")
        rows = []
        for index, event in enumerate(flattened):
            choices = [event.get(f, [None]) or [None] for f in fields]
            for combination in itertools.islice(itertools.product(*choices), MAX_ROWS_PER_EVENT):
                rows.append([index] + [sql_value(v) for v in combination])
        connection.executemany(
            f"INSERT INTO logs VALUES ({', '.join('?' * len(columns))})", rows)
        matches = 0
        started = time.perf_counter()
        for query in queries:
            where = query.split(" WHERE ", 1)[1]
            matches += sum(1 for _ in connection.execute(
                f"SELECT DISTINCT _event FROM logs WHERE {where}"))
        elapsed = time.perf_counter() - started
        print(f"reference (pySigma SQLite, queries only, one core): {len(queries)} rules over "
              f"{len(events)} events in {elapsed:.2f} s = {len(events) / elapsed:,.0f} events/s; "
              f"{matches * 1000 / len(events):.1f} matches per 1,000 events")


def main():
    ensure_venv()
    if len(sys.argv) == 3 and sys.argv[1] == "--bench":
        bench(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default=os.environ.get("PERIMETER_RULES", "perimeter rules"),
                        help="command that takes `check`/`test` arguments")
    parser.add_argument("--run", choices=["windows", "ecs", "both"], default="both")
    parser.add_argument("--pairs", type=int, default=400, help="matched pairs to print")
    args = parser.parse_args()
    total_rules, total_disagreements = 0, 0
    if args.run in ("windows", "both"):
        rule_dir = os.path.join(CORPUS, "sigma", "rules", "windows")
        rule_paths = sorted(os.path.join(root, f) for root, _, files in os.walk(rule_dir)
                            for f in files if f.endswith(".yml"))
        event_dir = os.path.join(CORPUS, "windows-native")
        events = sorted(os.path.join(event_dir, f) for f in os.listdir(event_dir)
                        if f.endswith(".ndjson"))
        rules, disagreements = run("windows", args.engine, rule_paths, rule_dir, events,
                                   args.pairs)
        total_rules += rules
        total_disagreements += disagreements
    if args.run in ("ecs", "both"):
        rule_dir = os.path.join(HERE, "ecs-rules")
        rule_paths = sorted(os.path.join(rule_dir, f) for f in os.listdir(rule_dir)
                            if f.endswith(".yml"))
        event_dir = os.path.join(CORPUS, "ecs")
        events = sorted(os.path.join(event_dir, f) for f in os.listdir(event_dir)
                        if f.endswith(".ndjson"))
        rules, disagreements = run("ecs", args.engine, rule_paths, rule_dir, events,
                                   args.pairs)
        total_rules += rules
        total_disagreements += disagreements
    print(f"== total: {total_rules} rules match on both sides; "
          f"{total_disagreements} rules disagree")


if __name__ == "__main__":
    main()
