import Foundation
import PerimeterInventory
import PerimeterModel

/// The benchmark's own workload: an inventory of hosts and accounts and
/// ECS events shaped like real ones (nested and dotted keys, lists, IPv6,
/// fqdns, 600–1,500 bytes), most of whose atoms hit the inventory.
/// Deterministic for a seed.
struct BenchmarkWorkload {
    let hostCount: Int
    let accountCount: Int
    /// The share of events naming a host or account not in the inventory.
    let newAssetShare: Double
    private var random: SeededGenerator
    /// When the first event happened; events follow 10 ms apart. The same
    /// seed a day later gives the same events, sightings of the same atoms
    /// at new times.
    var firstEventTime = EventTime(milliseconds: 1_714_000_001_000)

    init(assets: Int, newAssetShare: Double = 0.02, seed: UInt64 = 42) {
        hostCount = assets * 7 / 10
        accountCount = assets - hostCount
        self.newAssetShare = newAssetShare
        random = SeededGenerator(seed: seed)
    }

    // MARK: - Inventory

    static func ipv4(_ i: Int) -> String { "10.\((i >> 16) & 255).\((i >> 8) & 255).\(i & 255)" }
    static func ipv6(_ i: Int) -> String { "2001:db8::\(String(i >> 16, radix: 16)):\(String(i & 0xFFFF, radix: 16))" }
    static func hostname(_ i: Int) -> String { "ws-\(i)" }
    static func mac(_ i: Int) -> String {
        String(format: "02:00:%02x:%02x:%02x:%02x", (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255)
    }
    static func user(_ j: Int) -> String { "user\(j)" }
    static func sid(_ j: Int) -> String { "S-1-5-21-1004336348-1177238915-682003330-\(1000 + j)" }

    /// Fills an inventory directly, as a store load would.
    func makeInventory(settings: InventorySettings) -> Inventory {
        let inventory = Inventory(settings: settings)
        let scope = ScopeKey(community: "bench")
        var attachmentID: Int64 = 1
        let created = Date(timeIntervalSince1970: 1_714_000_000)
        func attach(_ type: AtomType, _ value: String, to asset: AssetID) {
            inventory.load(attachment: Attachment(
                id: attachmentID, key: AtomKey(scope: scope, atom: Atom(type: type, normalizedValue: value)),
                asset: asset, kind: .observed, from: EventTime(milliseconds: 1_714_000_000_000),
                lastSeen: EventTime(milliseconds: 1_714_000_000_000), origin: "bench"))
            attachmentID += 1
        }
        for i in 0..<hostCount {
            let asset = Asset(name: Self.hostname(i).uppercased(), category: .host,
                              criticality: i % 5 == 0 ? try? Criticality(i % 101) : nil,
                              tags: i % 50 == 0 ? ["critical", "server"] : [],
                              source: .automatic(rule: "unique_hosts"), community: "bench",
                              createdAt: created)
            inventory.load(asset: asset)
            attach(.hostname, Self.hostname(i), to: asset.id)
            attach(.fqdn, "\(Self.hostname(i)).corp.example.org", to: asset.id)
            attach(.ipv4, Self.ipv4(i), to: asset.id)
            attach(.mac, Self.mac(i), to: asset.id)
            if i % 10 == 0 { attach(.ipv6, Self.ipv6(i), to: asset.id) }
        }
        for j in 0..<accountCount {
            let asset = Asset(name: "CORP\\\(Self.user(j))", category: .account,
                              criticality: j % 7 == 0 ? try? Criticality(j % 101) : nil,
                              tags: j % 100 == 0 ? ["admin"] : [],
                              source: .automatic(rule: "unique_accounts"), community: "bench",
                              createdAt: created)
            inventory.load(asset: asset)
            attach(.username, "corp\\\(Self.user(j))", to: asset.id)
            attach(.sid, Self.sid(j), to: asset.id)
        }
        // Event times below start after the attachments and stay in order.
        inventory.load(watermark: EventTime(milliseconds: 1_714_000_000_000), stream: "bench")
        return inventory
    }

    // MARK: - Events

    /// `count` NDJSON lines.
    mutating func makeEvents(_ count: Int) -> [[UInt8]] {
        (0..<count).map { Array(makeEvent($0).utf8) }
    }

    private mutating func pickHost() -> Int {
        random.unit() < newAssetShare ? hostCount + Int(random.next() % 1_000_000) : Int(random.next() % UInt64(hostCount))
    }

    private mutating func pickAccount() -> Int {
        random.unit() < newAssetShare ? accountCount + Int(random.next() % 1_000_000) : Int(random.next() % UInt64(accountCount))
    }

    private mutating func padding() -> String {
        let words = ["the", "process", "accessed", "registry", "key", "service", "network",
                     "connection", "policy", "audit", "object", "handle", "requested", "granted"]
        var text = ""
        let length = 100 + Int(random.next() % 700)
        while text.utf8.count < length {
            text += words[Int(random.next() % UInt64(words.count))] + " "
        }
        return text
    }

    private mutating func makeEvent(_ n: Int) -> String {
        let time = firstEventTime.milliseconds + Int64(n) * 10
        let stamp = EventTime(milliseconds: time).description
        let host = pickHost()
        let account = pickAccount()
        let peer = pickHost()
        switch n % 5 {
        case 0: // Windows logon, nested objects, fqdn host.name, lists.
            return """
                {"@timestamp":"\(stamp)","event":{"code":"4624","category":["authentication"],"outcome":"success","module":"windows","provider":"Microsoft-Windows-Security-Auditing"},"host":{"name":"\(Self.hostname(host)).corp.example.org","ip":["\(Self.ipv4(host))","\(Self.ipv6(host))"],"os":{"family":"windows","name":"Windows 11"}},"user":{"name":"\(Self.user(account))","domain":"CORP","id":"\(Self.sid(account))"},"source":{"ip":"\(Self.ipv4(peer))","port":50123},"related":{"user":["\(Self.user(account))"],"ip":["\(Self.ipv4(peer))","\(Self.ipv4(host))"]},"winlog":{"channel":"Security","event_id":"4624","event_data":{"LogonType":"3","TargetUserName":"\(Self.user(account))","AuthenticationPackageName":"Kerberos"}},"message":"An account was successfully logged on. \(padding())"}
                """
        case 1: // Sysmon process creation with dotted keys.
            return """
                {"@timestamp":"\(stamp)","host.name":"\(Self.hostname(host))","host.ip":"\(Self.ipv4(host))","host.mac":"\(Self.mac(host).uppercased().replacingOccurrences(of: ":", with: "-"))","event.code":"1","event.category":["process"],"event.provider":"Microsoft-Windows-Sysmon","user.name":"CORP\\\\\(Self.user(account))","process.executable":"C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe","process.command_line":"powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \(padding())","process.parent.executable":"C:\\\\Windows\\\\explorer.exe","agent.id":"agent-\(host)","agent.type":"winlogbeat"}
                """
        case 2: // Firewall connection, external destination, IPv6 source.
            return """
                {"@timestamp":"\(stamp)","event":{"category":["network"],"type":["connection","allowed"],"dataset":"fortinet.firewall"},"source":{"ip":"\(host % 10 == 0 ? Self.ipv6(host) : Self.ipv4(host))","port":\(40000 + n % 20000)},"destination":{"ip":"203.0.113.\(n % 250 + 1)","port":443,"domain":"cdn\(n % 97).example.net"},"network":{"transport":"tcp","protocol":"https","bytes":\(n % 100000)},"observer":{"vendor":"Fortinet","product":"FortiGate","hostname":"fw-01"},"rule":{"name":"allow-web"},"message":"\(padding())"}
                """
        case 3: // DNS query with fqdns.
            return """
                {"@timestamp":"\(stamp)","event":{"category":["network"],"dataset":"zeek.dns"},"client":{"ip":"\(Self.ipv4(host))"},"dns":{"question":{"name":"\(Self.hostname(peer)).corp.example.org","type":"A"},"answers":[{"data":"\(Self.ipv4(peer))","type":"A"}],"resolved_ip":["\(Self.ipv4(peer))"]},"related":{"hosts":["\(Self.hostname(peer)).corp.example.org"],"ip":["\(Self.ipv4(host))","\(Self.ipv4(peer))"]},"message":"\(padding())"}
                """
        default: // Linux ssh login over syslog.
            return """
                {"@timestamp":"\(stamp)","host":{"hostname":"\(Self.hostname(host))","name":"\(Self.hostname(host))","ip":"\(Self.ipv4(host))"},"process":{"name":"sshd","pid":\(1000 + n % 30000)},"user":{"name":"\(Self.user(account))","domain":"CORP"},"source":{"ip":"\(Self.ipv4(peer))","port":\(30000 + n % 30000)},"event":{"category":["authentication"],"outcome":"\(n % 17 == 0 ? "failure" : "success")","action":"ssh_login"},"message":"Accepted publickey for \(Self.user(account)) \(padding())"}
                """
        }
    }
}

