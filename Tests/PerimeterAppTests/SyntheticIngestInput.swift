import Foundation
@testable import PerimeterApp
import PerimeterModel

extension SeededGenerator {
    /// A number in 0..<bound (the modulo bias is of no concern here).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Generated ECS events for crash tests: every kind of event that changes
/// the inventory's structure, mixed in one long stream per file.
///
/// - endpoint events: a host (name, id, MAC, OS) with an address that
///   moves to another host from one epoch to the next, and its user;
/// - logons of qualified accounts with SIDs and emails, a fifth failed
///   (tracked as unclaimed atoms, creating no account);
/// - Windows DHCP lease grants, renewals and releases
///   (`event.dataset: microsoft_dhcp.log`);
/// - NAT addresses seen from five hosts within an hour (shared atoms);
/// - out-of-order events inside the lateness window, late events beyond
///   it, events with no timestamp, and malformed lines.
///
/// There are no blank lines, so the store's `events_read` counter must
/// equal the sum of the committed line numbers at every instant.
struct SyntheticIngestInput {
    /// Time of the first event: 2024-03-01T00:00:00Z.
    static let start = 1_709_251_200
    /// Seconds between two events of one file.
    static let step = 20
    /// A clock later than every generated event, for `--now`.
    static let now = "2024-04-01T00:00:00Z"

    /// The lines of file `index`, each ending with a newline.
    static func file(_ index: Int, lines: Int) -> String {
        var random = SeededGenerator(seed: 0xC0FFEE &+ UInt64(index))
        var text = ""
        text.reserveCapacity(lines * 280)
        for line in 0..<lines {
            let time = start + line * step + index * 7
            text += event(file: index, line: line, time: time, random: &random)
            text += "\n"
        }
        return text
    }

    private static func event(file: Int, line: Int, time: Int,
                              random: inout SeededGenerator) -> String {
        let roll = random.below(100)
        switch roll {
        case 0..<50: return endpoint(file: file, line: line, time: time, random: &random)
        case 50..<65: return logon(time: time, random: &random)
        case 65..<80: return lease(line: line, time: time, random: &random)
        case 80..<85: return natSighting(line: line, time: time, random: &random)
        case 85..<89:
            // Two hours back: out of order but inside the 24 h window.
            return endpoint(file: file, line: line, time: time - 7_200, random: &random)
        case 89..<92:
            // Thirty hours back: late, counted, changes no structure.
            return endpoint(file: file, line: line, time: time - 108_000, random: &random)
        case 92..<94:
            return #"{"message":"heartbeat","host":{"name":"ws-\#(pad(roll, 4))"}}"#
        case 94..<96:
            return #"{"@timestamp":"\#(stamp(time))","host":{"name":"ws-0001","ip":["#
        default:
            return #"{"@timestamp":"\#(stamp(time))","source":{"ip":"198.51.100.\#(roll)"},"#
                + #""destination":{"ip":"203.0.113.\#(line % 200 + 1)"},"event":{"kind":"event"}}"#
        }
    }

    /// A host of a pool shared by every file, its address for the epoch
    /// (addresses move between hosts as epochs pass), and a user.
    private static func endpoint(file: Int, line: Int, time: Int,
                                 random: inout SeededGenerator) -> String {
        let host = random.below(300)
        let epoch = line / 1_500
        let slot = (host + epoch * 37) % 220
        let address = "10.20.\(slot / 200).\(slot % 200 + 1)"
        let user = random.below(400)
        let os = host % 3 == 0
            ? #","os":{"name":"Windows","version":"10.0.\#(19_000 + epoch)","family":"windows"}"#
            : ""
        let type = host % 10 == 0 ? #","type":["server"]"# : ""
        return #"{"@timestamp":"\#(stamp(time))","host":{"name":"ws-\#(pad(host, 4))","#
            + #""ip":["\#(address)"],"mac":["\#(mac(host))"],"id":"hid-\#(host)"\#(os)\#(type)},"#
            + #""agent":{"id":"agent-\#(host)","type":"filebeat"},"#
            + #""user":{"name":"user\#(user)","domain":"CORP"},"#
            + #""event":{"outcome":"success","module":"system","dataset":"system.auth"}}"#
    }

    private static func logon(time: Int, random: inout SeededGenerator) -> String {
        let user = random.below(600)
        let outcome = random.below(5) == 0 ? "failure" : "success"
        return #"{"@timestamp":"\#(stamp(time))","user":{"name":"user\#(user)","#
            + #""domain":"CORP","id":"S-1-5-21-1004336348-1177238915-682003330-\#(1_000 + user)","#
            + #""email":"user\#(user)@corp.example.com"},"#
            + #""source":{"ip":"192.0.2.\#(user % 250 + 1)"},"#
            + #""event":{"outcome":"\#(outcome)","category":["authentication"],"#
            + #""dataset":"windows.security","code":"4624"}}"#
    }

    /// Leases of a small pool of addresses to laptops; a release ends a
    /// lease, and the next grant goes to another laptop.
    private static func lease(line: Int, time: Int, random: inout SeededGenerator) -> String {
        let address = random.below(60)
        let laptop = (address * 7 + line / 900) % 150
        let pick = random.below(10)
        let action = pick < 5 ? "dhcp-new" : pick < 8 ? "dhcp-renew" : "dhcp-release"
        return #"{"@timestamp":"\#(stamp(time))","event":{"dataset":"microsoft_dhcp.log","#
            + #""action":"\#(action)","module":"microsoft_dhcp"},"#
            + #""host":{"ip":"10.30.0.\#(address + 1)","name":"laptop-\#(pad(laptop, 3))","#
            + #""mac":"\#(mac(1_000 + laptop))"}}"#
    }

    /// A NAT address seen from five hosts, about one sighting a minute:
    /// past three hosts within an hour it becomes a shared atom.
    private static func natSighting(line: Int, time: Int, random: inout SeededGenerator) -> String {
        let gateway = (line / 600) % 12
        let client = random.below(5)
        return #"{"@timestamp":"\#(stamp(time))","host":{"name":"nat-\#(gateway)-\#(client)","#
            + #""ip":["10.99.0.\#(gateway + 1)"]},"event":{"dataset":"network.flow"}}"#
    }

    static func stamp(_ seconds: Int) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let parts = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(identifier: "UTC")!, from: date)
        return "\(parts.year!)-\(pad(parts.month!, 2))-\(pad(parts.day!, 2))T"
            + "\(pad(parts.hour!, 2)):\(pad(parts.minute!, 2)):\(pad(parts.second!, 2))Z"
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func mac(_ value: Int) -> String {
        let high = value / 256
        let low = value % 256
        return "02-00-00-00-" + hex(high) + "-" + hex(low)
    }

    private static func hex(_ byte: Int) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}
