#!/usr/bin/env python3
"""Independent reference for the corpus ingest test (issue #2).

Reads every ECS event under ../shared/corpus/ecs, applies SPEC.md §2 (atoms)
and §3 (discovery) as read by a person, without looking at how the Swift
code does it, and writes the expected facts to
Tests/PerimeterIngestTests/Fixtures/corpus-expectations.json, which
CorpusIngestTests.swift reads. Standard library only.

Regenerate (from the package root) when the SPEC, the picks or the corpus
change, then read the diff of the JSON by eye before committing it:

    python3 tests/corpus-reference/reference.py

`PERIMETER_CORPUS` overrides the corpus directory. CI does not run this.

Readings of the SPEC that the text leaves open, decided here:
- hostname fields (host.name, host.hostname, client.name, server.name,
  log.hostname, and winlog.computer_name: the Windows machine that wrote
  the event, the host when host.name and host.hostname give none): a
  dotted value with a label below its registrable domain
  gives hostname(first label) + fqdn(whole); related.hosts values are a
  hostname when undotted and an fqdn when dotted, never split.
- `localhost.localdomain` is the loopback name: a placeholder like
  `localhost`. `HOSTNAME` (any case) is a template's field name left in
  the value, a placeholder too: 19 corpus files carry it, for machines
  that are not one.
- `REDACTED` (alone, bracketed, or before `-`/`_` as in `REDACTED-HOST`)
  is a redaction mask like `xxxxx`: anonymised samples write it for a
  name, and 18 corpus machines named so are no one machine.
- host_id / agent_id are opaque; compared case-insensitively (GUIDs). One
  of fewer than six characters (`2`, `12`) is a product's row number, which
  another product uses too: it identifies no machine.
- a log shipper (agent.type filebeat, winlogbeat, elastic-agent...) named
  as another machine than the event's host (agent.name / agent.hostname
  against host.name / host.hostname / winlog.computer_name, first labels,
  any case, or the host's label as a hyphen- or underscore-separated part
  of the agent's: WB-SRV-HOST01 on HOST01) forwards the
  event: its agent.* is not the subject. An agent that is no shipper (an
  EDR's) is its endpoint's whatever its name.
- user.full_name is a username field of the table but a display name: a
  sibling user.domain does not qualify it.
- related.user gathers the event's user names: a bare name there whose
  qualified form (`DOMAIN\\name`) another field of the same event gives is
  that account, and is no atom of its own (winlogbeat writes
  `Administrator` there beside user.name + user.domain).
- built-in principals: names listed in the SPEC, and any name whose domain
  is NT AUTHORITY, NT SERVICE, BUILTIN, Window Manager, Font Driver Host
  (and NT AUTHORITY, SYSTEM, LOCAL/NETWORK SERVICE as French, German,
  Portuguese and Spanish Windows write them).
- collector sources: see COLLECTOR_* below (configuration, not a rule).
- host resolution: the name decides (a new host for every host.name not
  yet known); host.id / agent.id / host.mac only tell apart machines that
  share a short name. A new name with another host's id is a new host and
  a conflict, never a silent merge.
- the asset name is the host.name (or user.name) of the first event, in
  arrival order, that names the asset; a user.name qualified by a sibling
  user.domain is named `DOMAIN\\user`.
- discovery follows event time: with the whole file inside the lateness
  window, the inventory after N events is the one in-order arrival of
  those N events (sorted by @timestamp, ties in arrival order) gives.
"""

import bisect
import datetime
import ipaddress
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("PERIMETER_CORPUS",
                        os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
ECS = os.path.join(CORPUS, "ecs")
OUTPUT = os.path.join(ROOT, "Tests", "PerimeterIngestTests", "Fixtures",
                      "corpus-expectations.json")
PSL_PATH = "/usr/share/publicsuffix/public_suffix_list.dat"
# The test fixes the clock here: events without a usable @timestamp take it.
NOW = "2040-01-01T00:00:00.000Z"

# ---------------------------------------------------------------------------
# JSON reading


class Number(str):
    """A JSON number, kept as its literal text."""


def strict_constant(name):
    raise ValueError(f"not JSON: {name}")


def parse_line(text):
    value = json.loads(text, parse_int=Number, parse_float=Number,
                       parse_constant=strict_constant)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def flatten(obj, prefix="", out=None):
    """Every leaf under its dotted path: nested and dotted keys are one field."""
    if out is None:
        out = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            flatten(value, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(obj, list):
        for value in obj:
            flatten(value, prefix, out)
    elif isinstance(obj, str):  # Number is a str too; bool and null are not values
        out.setdefault(prefix, []).append(str(obj))
    return out


# ---------------------------------------------------------------------------
# Normal forms (SPEC §2)

PLACEHOLDERS = {"", "-", "n/a", "null", "none", "unknown", "(null)", "localhost",
                "localhost.localdomain", "hostname",
                # a template's field name left in a user field, as hostname is
                "username",
                # Cisco ISE's user of an authentication it could not read
                "invalid"}
BUILTIN_NAMES = {"system", "local system", "local service", "network service",
                 "anonymous logon", "localsystem", "localservice", "networkservice",
                 # the same in French, German, Portuguese and Spanish Windows
                 "système", "sistema", "service local", "service réseau",
                 "lokaler dienst", "netzwerkdienst", "serviço local", "serviço de rede",
                 "servicio local", "servicio de red",
                 # as logs that drop accents write them
                 "systeme", "service reseau", "servico local", "servico de rede",
                 # as logs that read UTF-8 as Latin-1 write it
                 "systã¨me",
                 # a web application's unauthenticated visitor (Jira, Bitbucket)
                 # and Kubernetes'
                 "anonymous", "system:anonymous"}
BUILTIN_DOMAINS = {"nt authority", "nt service", "builtin", "window manager",
                   "font driver host", "autorite nt", "autorité nt", "nt-autorität",
                   "autoridade nt", "autoridad nt"}
LABEL = re.compile(r"^[A-Za-z0-9-]{1,63}$")
# No leading underscore: a DNS service label, a template's field or systemd's
# `_gateway` stand-in, never one machine's name.
HOSTNAME = re.compile(r"^[A-Za-z0-9-][A-Za-z0-9_-]{0,62}$")
SID = re.compile(r"^[Ss]-1-(\d+)((?:-\d+)+)$")
EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")


def is_mask(text):
    """A redaction mask (`xxxxxx`, `xxxxxxxx-xxxx-...`): three x or more
    and separators only; or the word REDACTED (see is_redacted_word)."""
    if is_redacted_word(text):
        return True
    return bool(re.fullmatch(r"[xX\-:._ {}]*", text)) and len(re.findall("[xX]", text)) >= 3


def is_redacted_word(text):
    """`REDACTED` in any case, alone, in brackets, or first before a hyphen
    or an underscore (`REDACTED-HOST`): anonymised samples write it where
    a name was."""
    core = text.lstrip("[<(*").rstrip("]>)*").lower()
    return core == "redacted" or core.startswith(("redacted-", "redacted_"))


def is_placeholder(value):
    text = value.strip()
    return is_mask(text) or text.lower() in PLACEHOLDERS


def address(value):
    text = value.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 4:
        # Strict dotted decimal: Python refuses leading zeros and short forms.
        # 0.0.0.0/8 is "this network" (RFC 1122): a source before it has
        # an address, no host's address.
        if (ip in ipaddress.ip_network("0.0.0.0/8") or ip.is_loopback or ip.is_link_local
                or ip.is_multicast or text == "255.255.255.255"):
            return None
        return ("ipv4", str(ip))
    if ip.is_unspecified or ip.is_loopback or ip.is_link_local or ip.is_multicast:
        return None
    return ("ipv6", str(ipaddress.IPv6Address(int(ip))))  # zone id dropped


def fqdn_text(value):
    text = value.strip()
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    if len(labels) < 2 or len(text) > 253 or is_placeholder(text):
        return None
    if not all(LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return text.lower()


def fqdn(value):
    text = fqdn_text(value)
    return ("fqdn", text) if text else None


def hostname(value):
    text = value.strip()
    if not HOSTNAME.match(text) or not re.search(r"[A-Za-z]", text) or is_placeholder(text):
        return None
    return ("hostname", text.lower())


def email(value):
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not EMAIL_LOCAL.match(local) or local.startswith(".") or local.endswith(".") \
            or is_mask(local):
        return None
    if fqdn_text(domain) is None or domain.endswith("."):
        return None
    return ("email", text.lower())


def sid(value):
    text = value.strip()
    match = SID.match(text)
    if not match:
        return None
    authority = int(match.group(1))
    subs = [int(part) for part in match.group(2)[1:].split("-")]
    # Well-known: authorities 0-4 (Null, World, Local, Creator, non-unique),
    # 15/16/18 (app containers, integrity labels, assertions), and NT
    # AUTHORITY outside the domain/machine accounts S-1-5-21-a-b-c-RID.
    if authority in (0, 1, 2, 3, 4, 15, 16, 18):
        return None
    if authority == 5 and (subs[0] != 21 or len(subs) < 5):
        return None
    return ("sid", "S" + text[1:])


def is_sid_shaped(value):
    return SID.match(value.strip()) is not None


def mac(value):
    text = value.strip().lower()
    if re.match(r"^[0-9a-f]{1,2}([:-])[0-9a-f]{1,2}(\1[0-9a-f]{1,2}){4}$", text):
        octets = [int(part, 16) for part in re.split(r"[:-]", text)]
    elif re.match(r"^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$", text) or \
            re.match(r"^[0-9a-f]{12}$", text):
        digits = text.replace(".", "")
        octets = [int(digits[i:i + 2], 16) for i in range(0, 12, 2)]
    else:
        return None
    # All-zero names nothing; broadcast and group (multicast) addresses are
    # not one interface.
    if not any(octets) or octets[0] & 1:
        return None
    return ("mac", ":".join(f"{octet:02x}" for octet in octets))


def opaque(kind, value):
    text = value.strip()
    if is_placeholder(text) or re.fullmatch(r"[{}0-]*0[{}0-]*", text) or len(text) < 6:
        return None
    return (kind, text.lower())


def is_address_text(user):
    """An IP address, or a MAC written with separators, where a name goes:
    the peer of a MAC-authentication login or a tunnel, not an account."""
    bracketed = re.fullmatch(r"\[([^\]]+)\](:\d+)?", user)
    with_port = re.fullmatch(r"([^:]+):\d+", user)
    for candidate in [user] + [m.group(1) for m in (bracketed, with_port) if m]:
        try:
            ipaddress.ip_address(candidate)
            return True
        except ValueError:
            pass
    text = user.lower()
    return bool(re.match(r"^[0-9a-f]{1,2}([:-])[0-9a-f]{1,2}(\1[0-9a-f]{1,2}){4}$", text)
                or re.match(r"^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$", text))


def username(value, sibling_domain=None):
    text = value.strip()
    if not text or is_placeholder(text):
        return None
    user, domain = text, None
    if "\\" in text:
        domain, _, user = text.partition("\\")
        user = user.lstrip("\\").strip()
        domain = domain.strip()
    elif "@" in text[1:]:
        user, _, domain = text.rpartition("@")
    if domain is None and sibling_domain is not None:
        domain = sibling_domain.strip()
    if domain is not None and len(domain) > 1 and domain.endswith("."):
        domain = domain[:-1]  # the root's dot
    if domain is not None and (domain in ("", ".") or is_placeholder(domain)):
        domain = None
    if not any(c.isalnum() for c in user) or is_placeholder(user) or is_sid_shaped(user):
        return None
    if domain is None and is_address_text(user):
        return None
    if user.endswith("$") and is_mask(user[:-1]):
        return None
    user, domain = user.lower(), domain.lower() if domain else None
    if domain in BUILTIN_DOMAINS or user in BUILTIN_NAMES or \
            user.startswith("dwm-") or user.startswith("umfd-"):
        return None
    return ("username", f"{domain}\\{user}" if domain else user)


# ---------------------------------------------------------------------------
# Public Suffix List (https://publicsuffix.org/list/ format)


class PublicSuffixList:
    def __init__(self, path):
        self.rules, self.wildcards, self.exceptions = set(), set(), set()
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                rule = line.strip().split()[0] if line.strip() else ""
                if not rule or rule.startswith("//"):
                    continue
                rule = rule.lower()
                if rule.startswith("!"):
                    self.exceptions.add(rule[1:])
                elif rule.startswith("*."):
                    self.wildcards.add(rule[2:])
                else:
                    self.rules.add(rule)
        # SPEC §2 names tenant.onmicrosoft.com as a name without a host label.
        self.rules.add("onmicrosoft.com")

    def suffix_length(self, labels):
        """Labels in the public suffix of `labels` (the longest rule wins)."""
        best = 1  # the implicit "*" rule
        for start in range(len(labels)):
            candidate = ".".join(labels[start:])
            count = len(labels) - start
            if candidate in self.exceptions:
                return count - 1
            if candidate in self.rules:
                best = max(best, count)
            parent = ".".join(labels[start + 1:])
            if start + 1 < len(labels) and parent in self.wildcards:
                best = max(best, count)
        return best

    def has_label_below_registrable(self, name):
        labels = name.split(".")
        # A top label of letters the list does not know (corp, internal,
        # lan) is a private namespace: its first label names a machine.
        private = labels[-1].isalpha() and labels[-1].isascii() \
            and labels[-1] not in self.rules and labels[-1] not in self.wildcards
        return len(labels) > self.suffix_length(labels) + 1 or (private and len(labels) >= 2)


# ---------------------------------------------------------------------------
# Atom extraction (SPEC §2 table)

ADDRESS_FIELDS = ["client.ip", "destination.ip", "host.ip", "server.ip", "source.ip",
                  "related.ip"]
HOSTNAME_FIELDS = ["host.name", "host.hostname", "client.name", "server.name",
                   "log.hostname", "winlog.computer_name"]
FQDN_FIELDS = ["dns.question.name", "client.domain", "client.registered_domain",
               "destination.domain", "destination.registered_domain", "source.domain",
               "source.registered_domain", "server.domain", "server.registered_domain",
               "url.domain", "url.registered_domain", "x509.subject.common_name",
               "user.domain"]
FQDN_OR_EMAIL_FIELDS = ["tls.client.x509.alternative_names", "x509.alternative_names"]
EMAIL_FIELDS = ["client.user.email", "destination.user.email",
                "file.x509.alternative_names", "host.user.email", "server.user.email",
                "source.user.email", "user.email", "user.changes.email",
                "user.effective.email", "user.target.email", "email.from.address",
                "email.to.address"]
USERNAME_FIELDS = {"user.name": "user.domain", "user.full_name": None,
                   "client.user.name": "client.user.domain",
                   "source.user.name": "source.user.domain",
                   "destination.user.name": "destination.user.domain",
                   "user.target.name": "user.target.domain",
                   "user.effective.name": "user.effective.domain"}
SID_FIELDS = ["user.id", "client.user.id", "user.target.id", "user.effective.id"]
MAC_FIELDS = ["host.mac", "source.mac", "destination.mac", "client.mac", "server.mac"]

# Collector sources (SPEC §2 "Collector fields are not the subject"): events
# polled from cloud and SaaS APIs, whose host.* / agent.* name the poller.
# Chosen by reading the corpus: API-polling inputs, and the SaaS modules of
# the pipeline test files, which carry no input.type.
COLLECTOR_INPUTS = {"httpjson", "cel", "aws-s3", "aws-cloudwatch", "azure-eventhub",
                    "azure-blob-storage", "gcp-pubsub", "gcs", "o365audit", "cometd"}
COLLECTOR_MODULES = {"okta", "o365", "aws", "azure", "gcp", "google_workspace", "github",
                     "1password", "salesforce", "slack", "cisco_duo", "auth0",
                     "atlassian_bitbucket", "box_events", "bitwarden", "lastpass",
                     "mimecast", "proofpoint_tap", "snyk", "tines", "zeronetworks"}
# Polled consoles that copy the machine an alert is about into host.*: there
# host.* is the subject and only agent.* is the poller.
SUBJECT_HOST_MODULES = {"crowdstrike", "m365_defender", "microsoft_defender_endpoint",
                        "sentinel_one", "carbon_black_cloud", "cisco_secure_endpoint",
                        "panw_cortex_xdr", "sophos_central", "trend_micro_vision_one",
                        "trellix_epo_cloud", "tenable_io", "tenable_sc", "rapid7_insightvm",
                        "system", "windows", "infoblox_bloxone_ddi", "cloudflare_logpush"}


def first_real(fields, path):
    for value in fields.get(path, []):
        if not is_placeholder(value):
            return value.strip().lower()
    return None


def collector_scope(fields):
    dataset = first_real(fields, "data_stream.dataset")
    module = first_real(fields, "event.module")
    input_type = first_real(fields, "input.type")
    integration = dataset.split(".")[0] if dataset else None
    polled = input_type in COLLECTOR_INPUTS or integration in COLLECTOR_MODULES \
        or module in COLLECTOR_MODULES
    if not polled:
        return "agent" if forwarded(fields) else "subject"
    if integration in SUBJECT_HOST_MODULES or module in SUBJECT_HOST_MODULES:
        return "agent"
    return "host-and-agent"


SHIPPERS = {"filebeat", "winlogbeat", "auditbeat", "packetbeat", "metricbeat", "heartbeat",
            "functionbeat", "journalbeat", "osquerybeat", "cloudbeat", "elastic-agent",
            "logstash", "fluentd", "fluent-bit", "nxlog", "cribl"}


def forwarded(fields):
    """A shipper on another machine than the host it reports."""
    kind = (fields.get("agent.type") or [""])[0].strip().lower()
    if kind not in SHIPPERS:
        return False
    label = lambda name: name.strip().split(".")[0].lower()
    agents = {label(v[0]) for v in (fields.get("agent.name"), fields.get("agent.hostname")) if v}
    hosts = {label(v[0]) for v in (fields.get("host.name"), fields.get("host.hostname"),
                                    fields.get("winlog.computer_name")) if v}
    # A shipper named after its machine (WB-SRV-HOST01 on HOST01) is its:
    # the host's name is one of the agent's hyphen- or underscore-parts.
    named = any(a == h or (len(h) >= 3 and h in re.split(r"[-_]", a))
                for a in agents for h in hosts)
    return bool(agents) and bool(hosts) and not named


def extract(fields, psl):
    """(field, atom) pairs, atom = (type, normal value), each pair once."""
    scope = collector_scope(fields)
    found = []

    def add(field, atom):
        if atom and (field, atom) not in found:
            found.append((field, atom))

    def values(path):
        if scope != "subject" and path.startswith("agent."):
            return []
        if scope == "host-and-agent" and path.startswith("host."):
            return []
        return fields.get(path, [])

    for path in ADDRESS_FIELDS:
        for value in values(path):
            add(path, address(value))
    for path in HOSTNAME_FIELDS:
        for value in values(path):
            if value.strip().endswith(".") and value.count(".") == 1:
                add(path, hostname(value.strip()[:-1]))  # `ws-01.`: the root's dot
                continue
            if "." not in value:
                add(path, hostname(value))
                continue
            name = fqdn_text(value)
            if name and psl.has_label_below_registrable(name):
                add(path, hostname(name.split(".")[0]))
                add(path, ("fqdn", name))
            elif not name:
                # An underscore in the first label (a Windows name): the
                # whole is no fqdn, the label is the host if the rest is a
                # domain that is not a public suffix.
                label, _, rest = value.strip().partition(".")
                domain = fqdn_text(rest)
                if "_" in label and domain and \
                        psl.has_label_below_registrable("x." + domain):
                    add(path, hostname(label))
    for path in ("related.hosts", "related.host"):
        for value in values(path):
            if value.strip().endswith(".") and value.count(".") == 1:
                add(path, hostname(value.strip()[:-1]))  # `ws-01.`: the root's dot
            else:
                add(path, fqdn(value) if "." in value else hostname(value))
    for path in FQDN_FIELDS:
        for value in values(path):
            add(path, fqdn(value))
    for path in FQDN_OR_EMAIL_FIELDS:
        for value in values(path):
            add(path, email(value) if "@" in value else fqdn(value))
    for path in EMAIL_FIELDS:
        for value in values(path):
            add(path, email(value))
    for value in values("related.user"):
        add("related.user", sid(value) if is_sid_shaped(value) else username(value))
    for path in SID_FIELDS:
        for value in values(path):
            add(path, sid(value))
    for path in MAC_FIELDS:
        for value in values(path):
            add(path, mac(value))
    for value in values("host.id"):
        add("host.id", opaque("host_id", value))
    for value in values("cloud.instance.id"):
        add("cloud.instance.id", opaque("host_id", value))
    for value in values("agent.id"):
        add("agent.id", opaque("agent_id", value))
    for path, domain_field in USERNAME_FIELDS.items():
        domain = None
        if domain_field:
            domain = next((v for v in fields.get(domain_field, [])
                           if not is_placeholder(v)), None)
        for value in values(path):
            add(path, username(value, domain))
    # related.user copies the event's user names, often without the domain
    # another field qualifies them with: a bare name there whose qualified
    # twin the event names is that account, not an unqualified name.
    qualified_users = {value.rsplit("\\", 1)[1] for _, (kind, value) in found
                       if kind == "username" and "\\" in value}
    found = [(field, atom) for field, atom in found
             if not (field == "related.user" and atom[0] == "username"
                     and "\\" not in atom[1] and atom[1] in qualified_users)]
    return found


# ---------------------------------------------------------------------------
# Event time


def parse_time(text):
    match = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
                         r"(Z|[+-]\d\d:?\d\d)?", text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    millis = int((match.group(7) or "0")[:3].ljust(3, "0"))
    zone = datetime.timezone.utc
    offset = match.group(8)
    if offset and offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        zone = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]),
                                                           minutes=int(digits[2:])))
    moment = datetime.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    return int(moment.timestamp()) * 1000 + millis


NOW_MS = parse_time(NOW)
WEEK_MS = 7 * 24 * 3600 * 1000
HOUR_MS = 3600 * 1000


# ---------------------------------------------------------------------------
# One event as discovery reads it (SPEC §3.1)


class Event:
    def __init__(self, line_number, fields, psl):
        self.line = line_number
        self.fields = fields
        self.atoms = extract(fields, psl)
        stamps = fields.get("@timestamp", [])
        stamp = parse_time(stamps[0]) if stamps else None
        self.time = stamp if stamp is not None else NOW_MS
        self.failure = any(v.strip().lower() == "failure" for v in fields.get("event.outcome", []))
        self.host = self._host()
        self.account = self._account()
        self.other_hosts = self._other_hosts()
        self.other_accounts = self._other_accounts()
        # Several names: whose the addresses, ids and emails are is not said.
        if self.other_hosts:
            self.host = dict(self.host, addresses=[], strong=[])
        if self.other_accounts:
            self.account = dict(self.account, emails=[], sids=[])

    def _of(self, field, *types):
        return [atom for f, atom in self.atoms if f == field and atom[0] in types]

    def _host(self):
        # host.name decides; host.hostname stands in when host.name gives no
        # hostname, then the Windows computer name.
        for field in ("host.name", "host.hostname", "winlog.computer_name"):
            names = self._of(field, "hostname")
            if names:
                raw = next(v for v in self.fields[field])
                fqdns = self._of(field, "fqdn")
                return {
                    "name": raw, "hostname": names[0], "fqdn": fqdns[0] if fqdns else None,
                    "addresses": self._of("host.ip", "ipv4", "ipv6"),
                    "strong": self._of("host.id", "host_id")
                    + self._of("cloud.instance.id", "host_id")
                    + self._of("agent.id", "agent_id") + self._of("host.mac", "mac"),
                }
        return None

    def _other_hosts(self):
        """The further hostnames of a host.name list, with the fqdn of the
        list that spells each out, by name alone."""
        if not self.host or self.host["hostname"] not in self._of("host.name", "hostname"):
            return []
        others = []
        for name in self._of("host.name", "hostname"):
            if name == self.host["hostname"] or any(h["hostname"] == name for h in others):
                continue
            fqdn = next((f for f in self._of("host.name", "fqdn")
                         if f[1].startswith(name[1] + ".")), None)
            raw = next((v for v in self.fields["host.name"]
                        if v.strip().split(".")[0].lower() == name[1]), name[1])
            others.append({"name": raw.strip(), "hostname": name, "fqdn": fqdn,
                           "addresses": [], "strong": []})
        return others[:16]

    def _other_accounts(self):
        names = self._of("user.name", "username")
        if len(names) < 2:
            return []
        domain = next((v for v in self.fields.get("user.domain", [])
                       if not is_placeholder(v)), None)
        others = []
        for name in names[1:]:
            if name == names[0] or name in [a["username"] for a in others]:
                continue
            bare = name[1].rpartition("\\")[2]
            raw = next((v for v in self.fields["user.name"]
                        if v.strip().lower().rpartition("\\")[2] == bare), name[1])
            if domain and "\\" not in raw and "@" not in raw and "\\" in name[1]:
                raw = f"{domain}\\{raw}"
            others.append({"name": raw, "username": name, "emails": [], "sids": []})
        return others[:16]

    def _account(self):
        names = self._of("user.name", "username")
        if not names:
            return None
        raw = self.fields["user.name"][0]
        domain = next((v for v in self.fields.get("user.domain", [])
                       if not is_placeholder(v)), None)
        if domain and "\\" not in raw and "@" not in raw and "\\" in names[0][1]:
            raw = f"{domain}\\{raw}"
        return {"name": raw, "username": names[0], "emails": self._of("user.email", "email"),
                "sids": self._of("user.id", "sid")}


# ---------------------------------------------------------------------------
# The inventory, built by in-order arrival


class Inventory:
    def __init__(self):
        self.assets = []          # {"category", "name", "order"}
        self.holders = {}         # non-address atom -> [asset index]
        self.sightings = {}       # address atom -> sorted [(time, asset index)]
        self.shared = {}          # address atom -> time it became shared
        self.since = {}           # (atom, asset) -> event time it was first seen
        self.namers = {}          # asset -> [(arrival line, name)] of events naming it

    def held(self, atom, time=None):
        return [asset for asset in self.holders.get(atom, [])
                if time is None or self.since[(atom, asset)] <= time]

    def attach(self, atom, asset, time):
        holders = self.holders.setdefault(atom, [])
        if asset in holders:
            return
        exclusive = atom[0] in ("sid", "email", "mac", "host_id", "agent_id")
        if exclusive and holders:
            return  # a conflict, recorded and shown; the first holder keeps it
        holders.append(asset)   # hostnames: namesakes both keep the short name
        self.since[(atom, asset)] = time

    def see_address(self, atom, asset, time):
        if atom in self.shared:
            return
        sightings = self.sightings.setdefault(atom, [])
        bisect.insort(sightings, (time, asset))
        # More than 3 hosts within an hour: a shared atom from then on.
        recent = {a for t, a in sightings if time - HOUR_MS <= t <= time}
        if len(recent) > 3:
            self.shared[atom] = time

    def address_holder(self, atom, time):
        if atom in self.shared and time >= self.shared[atom]:
            return []
        before = [(t, a) for t, a in self.sightings.get(atom, []) if t <= time]
        if not before:
            return []
        t, asset = before[-1]
        return [asset] if time < t + WEEK_MS else []

    def create(self, category):
        self.assets.append({"category": category})
        return len(self.assets) - 1

    def named(self, asset, event, name):
        self.namers.setdefault(asset, []).append((event.line, name))

    def name(self, asset):
        return min(self.namers[asset])[1]

    def bare_holders(self, bare, time=None):
        local = self.held(("username", bare), time)
        if local:
            return local
        result = []
        for atom in self.holders:
            if atom[0] == "username" and "\\" in atom[1] \
                    and atom[1].rpartition("\\")[2] == bare:
                result += [h for h in self.held(atom, time) if h not in result]
        return result

    def observe(self, event):
        # SPEC §3: a host for every host.name, an account for every
        # user.name; the further values of a list by their names alone.
        for host in ([event.host] if event.host else []) + event.other_hosts:
            self.observe_host(host, event)
        if not event.failure:
            for account in ([event.account] if event.account else []) + event.other_accounts:
                self.observe_account(account, event)

    def observe_host(self, host, event):
        if host:
            asset = self.resolve_host(host)
            if asset == "new":
                asset = self.create("host")
            if asset is not None:
                self.named(asset, event, host["name"])
                for atom in [host["hostname"], host["fqdn"]] + host["strong"]:
                    if atom:
                        self.attach(atom, asset, event.time)
                for atom in host["addresses"]:
                    self.see_address(atom, asset, event.time)

    def observe_account(self, account, event):
        if account:
            found = []
            for atom in account["sids"] + account["emails"]:
                found = self.held(atom)
                if found:
                    break
            if not found:
                value = account["username"][1]
                found = self.held(account["username"]) if "\\" in value \
                    else self.bare_holders(value)
                if account["sids"]:
                    # Another SID under the same name is another principal.
                    found = [a for a in found
                             if not any(atom[0] == "sid" and a in holders
                                        for atom, holders in self.holders.items())]
            if len(found) <= 1:
                asset = found[0] if found else self.create("account")
                self.named(asset, event, account["name"])
                for atom in [account["username"]] + account["emails"] + account["sids"]:
                    self.attach(atom, asset, event.time)

    def resolve_host(self, host):
        # "A new host asset for every host.name not yet known": the name
        # decides. Ids only tell apart machines that share a name; a new
        # name that reports another machine's id is a conflict, never
        # silently merged (SPEC §2, exclusive identifiers).
        if host["fqdn"] and self.held(host["fqdn"]):
            return self.held(host["fqdn"])[0]
        namesakes = self.held(host["hostname"])
        for atom in host["strong"]:
            owners = [a for a in self.held(atom) if a in namesakes]
            if owners:
                return owners[0]
        compatible = [a for a in namesakes if self.compatible(a, host)]
        if not compatible:
            return "new"
        return compatible[0] if len(compatible) == 1 else None

    def compatible(self, asset, host):
        own = [atom for atom, holders in self.holders.items() if asset in holders]
        reported = {"fqdn": [host["fqdn"]] if host["fqdn"] else [],
                    "host_id": [a for a in host["strong"] if a[0] == "host_id"],
                    "agent_id": [a for a in host["strong"] if a[0] == "agent_id"]}
        for kind, values in reported.items():
            mine = [a for a in own if a[0] == kind]
            if values and mine and not set(mine) & set(values):
                return False
        return True

    def match(self, event):
        """The assets an event's atoms name at its own time.

        The name decides which host the event is about: host and agent ids
        pick among the hosts a shared name denotes and add none it does not
        (a forwarder's agent id on relayed events); alone, they decide. The
        event's own MACs (host.mac) are such ids; other MACs are not."""
        result, named, identified = [], [], []
        for field, atom in event.atoms:
            if atom[0] in ("ipv4", "ipv6"):
                holders = self.address_holder(atom, event.time)
            elif atom[0] == "username" and "\\" not in atom[1]:
                holders = self.bare_holders(atom[1], event.time)
                holders = holders if len(holders) == 1 else []
            else:
                holders = self.held(atom, event.time)
            if atom[0] == "hostname" and len(holders) > 1:
                # ws-01 that the event spells out in full names that machine.
                spelled = [h for _, other in event.atoms
                           if other[0] == "fqdn" and other[1].split(".")[0] == atom[1]
                           for h in self.held(other, event.time)]
                holders = [h for h in holders if h in spelled] or holders
            is_id = atom[0] in ("host_id", "agent_id") or (atom[0] == "mac" and field == "host.mac")
            bucket = named if atom[0] in ("hostname", "fqdn") else identified if is_id else result
            bucket += [h for h in holders if h not in bucket]
        hosts = named or identified
        if len(named) > 1 and any(h in identified for h in named):
            hosts = [h for h in named if h in identified]
        return result + [h for h in hosts if h not in result]


def build(events):
    """The inventory in-order arrival of these events gives."""
    inventory = Inventory()
    for event in sorted(events, key=lambda e: (e.time, e.line)):
        inventory.observe(event)
    return inventory


# ---------------------------------------------------------------------------
# The picks: events (file, line) with why each one, and files whose whole
# host and account sets are checked.

PICKS = [
    # (file stem, 1-based line, why)
    ("elastic-integrations__system__security", 2,
     "Windows logon: FQDN host.name gives hostname + fqdn; DOMAIN\\user with its SID"),
    ("elastic-integrations__system__security", 7, "failed logon: the host, no account"),
    ("elastic-integrations__system__security", 13,
     "WORKGROUP machine account; undotted host.name"),
    ("elastic-integrations__okta__system", 13, "okta: user@domain is a qualified username"),
    ("elastic-integrations__okta__system", 19, "okta: actor and target names, no host"),
    ("elastic-integrations__okta__system", 24, "okta: display name and login name"),
    ("elastic-integrations__crowdstrike__falcon", 4, "falcon: email and user@domain login"),
    ("elastic-integrations__crowdstrike__falcon", 15,
     "falcon: agent id, bare and CORP-DOMAIN\\alice"),
    ("elastic-integrations__crowdstrike__falcon", 24, "falcon: NA\\First.last on testdevice01"),
    ("sekoia__windows__windows", 5, "Sekoia windows: fqdn host, user qualified by an fqdn"),
    ("sekoia__windows__windows", 7, "Sekoia windows: failed logon, host example.com gives none"),
    ("sekoia__windows__windows", 33, "Sekoia windows: machine account in a dotted domain"),
    ("sekoia__windows__windows", 35, "Sekoia windows: failed logon, user.name is a domain"),
    ("elastic-integrations__zeek__ntlm", 1, "zeek ntlm: domain qualifies the user"),
    ("elastic-integrations__zeek__kerberos", 1, "zeek kerberos: client principal"),
    ("elastic-integrations__zeek__dns", 1, "zeek dns: query name is an fqdn, no host"),
    ("elastic-integrations-samples__cisco_duo", 2,
     "Duo (polled API): host.* is the poller, user and email stay"),
    ("elastic-integrations-samples__cisco_duo", 3, "Duo: access device name is a host atom"),
    ("elastic-integrations-samples__cisco_ise", 1, "ISE over syslog: host.* is the subject, agent.* the receiver (docker-fleet-agent)"),
    ("elastic-integrations__cisco_asa__log", 1, "ASA: addresses and the firewall's name"),
    ("elastic-integrations__fortinet_fortigate__log", 1, "FortiGate: user, addresses, domain"),
    ("elastic-integrations__fortinet_fortigate__log", 13, "FortiGate: failure, no user"),
    ("elastic-integrations__fortinet_fortigate__log", 27, "FortiGate: an IPv6 address"),
    ("elastic-integrations__aws__cloudtrail", 7, "CloudTrail: failed call, no account"),
    ("elastic-integrations__aws__cloudtrail", 39, "CloudTrail: three user names"),
    ("sekoia__openssh__openssh", 2, "OpenSSH: login of ubuntu from an address"),
    ("sekoia__openssh__openssh", 5, "OpenSSH: source domain is an fqdn"),
    ("elastic-integrations__cyberarkpas__audit", 1, "CyberArk vault: host and address"),
    ("elastic-integrations__cyberarkpas__audit", 2, "CyberArk vault: same host, new address"),
    ("elastic-integrations__panw__panos", 1, "PAN-OS: device and source host names"),
    ("elastic-integrations__panw__panos", 8, "PAN-OS: host id, DOMAIN\\user"),
    ("sekoia__palo-alto-networks__paloalto-ngfw", 4,
     "Sekoia PAN: failed auth; device, id and user redacted (xxxxx): no atom at all"),
    ("sekoia__palo-alto-networks__paloalto-ngfw", 8, "Sekoia PAN: source and target users"),
    ("elastic-integrations__sophos__xg", 1, "Sophos XG: mail addresses and .local domain"),
    ("elastic-integrations__google_workspace__login", 1,
     "Workspace login: email, user.domain qualifies user.name"),
    ("sekoia__harfanglab__harfanglab", 3, "HarfangLab EDR: agent id; host and domain REDACTED, a mask"),
    ("sekoia__harfanglab__harfanglab", 4, "HarfangLab EDR: host.name example.com gives none"),
    ("elastic-integrations__m365_defender__event", 5, "Defender: two machines in one event"),
    ("elastic-integrations__m365_defender__event", 8, "Defender: FQDN device, machine account"),
    ("elastic-integrations__windows__sysmon_operational", 3, "Sysmon: MACHINE\\user"),
]
NAMED_FILES = [
    "elastic-integrations__system__security",
    "elastic-integrations__okta__system",
    "elastic-integrations__crowdstrike__falcon",
    "elastic-integrations__cyberarkpas__audit",
    "elastic-integrations__aws__cloudtrail",
    "elastic-integrations__fortinet_fortigate__log",
    "sekoia__windows__windows",
    "sekoia__openssh__openssh",
    "sekoia__harfanglab__harfanglab",
]


def load_file(stem, psl):
    path = os.path.join(ECS, stem + ".ndjson")
    events = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8").strip(" \t\r\n")
            if text:
                events.append(Event(number, flatten(parse_line(text)), psl))
    return events


def atom_text(atom):
    return f"{atom[0]}:{atom[1]}"


def main():
    psl = PublicSuffixList(PSL_PATH)
    totals = {"files": 0, "events": 0, "malformed": 0, "latest": None}
    per_file = {}
    for name in sorted(os.listdir(ECS)):
        if not name.endswith(".ndjson"):
            continue
        count = 0
        with open(os.path.join(ECS, name), "rb") as handle:
            for raw in handle:
                if not raw.strip(b" \t\r\n"):
                    continue
                count += 1
                try:
                    stamp = flatten(parse_line(raw.decode("utf-8"))).get("@timestamp")
                except (ValueError, UnicodeDecodeError):
                    totals["malformed"] += 1
                    continue
                moment = parse_time(stamp[0]) if stamp else None
                assert moment is None or moment <= NOW_MS, f"{name}: after the fixed clock"
        per_file[name] = count
        totals["files"] += 1
        totals["events"] += count

    files = {}
    for stem in sorted({p[0] for p in PICKS} | set(NAMED_FILES)):
        events = load_file(stem, psl)
        entry = {"file": stem + ".ndjson", "events": []}
        if stem in NAMED_FILES:
            inventory = build(events)
            for category in ("host", "account"):
                entry[category + "s"] = sorted(
                    inventory.name(index) for index, asset in enumerate(inventory.assets)
                    if asset["category"] == category)
        for pick_stem, line, why in PICKS:
            if pick_stem != stem:
                continue
            prefix = [e for e in events if e.line <= line]
            event = prefix[-1]
            assert event.line == line, f"{stem}:{line} is blank"
            inventory = build(prefix)
            matched = inventory.match(event)
            entry["events"].append({
                "line": line, "why": why,
                "atoms": sorted({atom_text(a) for _, a in event.atoms}),
                "assets": sorted(f"{inventory.assets[i]['category']}:{inventory.name(i)}"
                             for i in matched),
            })
        files[stem] = entry

    document = {
        "generatedBy": "tests/corpus-reference/reference.py",
        "clock": NOW,
        "totals": {"files": totals["files"], "events": totals["events"],
                   "malformed": totals["malformed"]},
        "eventsPerFile": per_file,
        "files": [files[stem] for stem in sorted(files)],
    }
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, sort_keys=True, ensure_ascii=False)
        handle.write("\n")
    print(f"{totals['events']} events in {totals['files']} files, "
          f"{totals['malformed']} malformed; {len(PICKS)} picks in {len(files)} files")


if __name__ == "__main__":
    sys.exit(main())
