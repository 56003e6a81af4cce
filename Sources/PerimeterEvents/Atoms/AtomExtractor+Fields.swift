/// How a field's values become atoms.
enum FieldRule: Sendable {
    /// ipv4 or ipv6, whichever the value is.
    case address
    /// hostname; a dotted value follows the FQDN-in-host.name rule.
    case hostname
    /// related.hosts: hostname or fqdn, whichever the value is.
    case hostnameOrFQDN
    case fqdn
    /// x509 alternative names: fqdn or email.
    case fqdnOrEmail
    case email
    /// username, qualified by the sibling domain field at this index.
    case username(domainField: Int?)
    /// related.user: username or SID, whichever the value is.
    case usernameOrSID
    case sid
    case mac
    case hostID
    case agentID
    /// Read for context only (collector source, account domains).
    case context
}

/// Plain values only, so the extraction loop copies it without reference counting.
struct FieldSpec: Sendable {
    let rule: FieldRule
    /// host.* or agent.*, which a collector source empties.
    let isHostField: Bool
    let isAgentField: Bool
}

extension AtomExtractor {
    /// SPEC §2's table, Perimeter's additions included. The order is the
    /// index order of `fieldPaths`; never reorder without updating
    /// implementers that cache indices.
    static let fieldTable: [(String, FieldRule)] = {
        var table: [(String, FieldRule)] = []
        for path in ["client.ip", "destination.ip", "host.ip", "server.ip", "source.ip",
                     "related.ip"] {
            table.append((path, .address))
        }
        // winlog.computer_name: the Windows machine that wrote the event,
        // where Elastic's Windows integrations put it (its Sysmon events
        // may carry no host.name at all); a Perimeter addition.
        for path in ["host.name", "host.hostname", "client.name", "server.name",
                     "log.hostname", "winlog.computer_name"] {
            table.append((path, .hostname))
        }
        // The reference table writes related.host; the ECS field is related.hosts.
        table.append(("related.hosts", .hostnameOrFQDN))
        table.append(("related.host", .hostnameOrFQDN))
        for path in ["dns.question.name", "client.domain", "client.registered_domain",
                     "destination.domain", "destination.registered_domain",
                     "source.domain", "source.registered_domain", "server.domain",
                     "server.registered_domain", "url.domain", "url.registered_domain",
                     "x509.subject.common_name", "user.domain"] {
            table.append((path, .fqdn))
        }
        table.append(("tls.client.x509.alternative_names", .fqdnOrEmail))
        table.append(("x509.alternative_names", .fqdnOrEmail))
        for path in ["client.user.email", "destination.user.email",
                     "file.x509.alternative_names", "host.user.email", "server.user.email",
                     "source.user.email", "user.email", "user.changes.email",
                     "user.effective.email", "user.target.email", "email.from.address",
                     "email.to.address"] {
            table.append((path, .email))
        }
        table.append(("related.user", .usernameOrSID))
        for path in ["user.id", "client.user.id", "user.target.id", "user.effective.id"] {
            table.append((path, .sid))
        }
        for path in ["host.mac", "source.mac", "destination.mac", "client.mac",
                     "server.mac"] {
            table.append((path, .mac))
        }
        table.append(("host.id", .hostID))
        table.append(("cloud.instance.id", .hostID))
        table.append(("agent.id", .agentID))
        for path in ["data_stream.dataset", "event.module", "input.type", "agent.name",
                     "agent.hostname", "agent.type",
                     "client.user.domain", "source.user.domain", "destination.user.domain",
                     "user.target.domain", "user.effective.domain"] {
            table.append((path, .context))
        }

        // User names last: their rule names the index of the sibling domain.
        // user.full_name is a display name, so no domain qualifies it.
        let paths = table.map(\.0)
        for (name, domain) in [("user.name", "user.domain"), ("user.full_name", nil),
                               ("client.user.name", "client.user.domain"),
                               ("source.user.name", "source.user.domain"),
                               ("destination.user.name", "destination.user.domain"),
                               ("user.target.name", "user.target.domain"),
                               ("user.effective.name", "user.effective.domain")] {
            let domainIndex = domain.map { paths.firstIndex(of: $0)! }
            table.append((name, .username(domainField: domainIndex)))
        }
        return table
    }()

    static let fieldSpecs: [FieldSpec] = fieldTable.map { path, rule in
        // agent.name is context (is a relay's host.* its own machine?),
        // never an atom a collector's event would have given.
        var isContext = false
        if case .context = rule { isContext = true }
        return FieldSpec(rule: rule, isHostField: path.hasPrefix("host."),
                         isAgentField: path.hasPrefix("agent.") && !isContext)
    }

    static let datasetField = fieldPaths.firstIndex(of: "data_stream.dataset")!
    static let moduleField = fieldPaths.firstIndex(of: "event.module")!
    static let inputTypeField = fieldPaths.firstIndex(of: "input.type")!
    static let agentNameField = fieldPaths.firstIndex(of: "agent.name")!
    static let agentHostnameField = fieldPaths.firstIndex(of: "agent.hostname")!
    static let hostNameField = fieldPaths.firstIndex(of: "host.name")!
    static let hostHostnameField = fieldPaths.firstIndex(of: "host.hostname")!
    static let agentTypeField = fieldPaths.firstIndex(of: "agent.type")!
    static let computerNameField = fieldPaths.firstIndex(of: "winlog.computer_name")!

    /// Log shippers (`agent.type`): their agent runs wherever it was put to
    /// read logs, and its id is the shipper's, on whatever vendor's logs
    /// it relays (a firewall's syslog through Filebeat names the firewall
    /// in its module, not the agent). An EDR's agent is its endpoint's.
    public static let logShipperTypes: Set<String> = [
        "filebeat", "winlogbeat", "auditbeat", "packetbeat", "metricbeat", "heartbeat",
        "functionbeat", "journalbeat", "osquerybeat", "cloudbeat", "elastic-agent", "logstash",
        "fluentd", "fluent-bit", "nxlog", "cribl",
    ]
}
