import Foundation
import PerimeterDetection
import PerimeterEnrichment
import PerimeterInventory
import PerimeterModel
import PerimeterStore

/// The asset fields an ingest into a store would give events, for trying
/// asset-aware rules (`sekoiaio.any_asset.tags: domain-controller`) with
/// `perimeter rules test --db`: each event goes through discovery and
/// matching on the store's inventory, with the community's discovery
/// rules, as an ingest takes it (a host the events make, an address they
/// move, counts for the events after). Nothing is written: the inventory
/// is read into memory and what the events change in it stays there.
public final class StoredAssetFields {
    private let reader: EventReader
    private let inventory: Inventory
    private let bounds: CriticalityBounds
    private let scope: ScopeKey
    private let rules: Set<DiscoveryRule>
    /// The arrival time of events without a usable `@timestamp`, and the
    /// clock that tells late and future events.
    private let now: EventTime
    /// The engine's fields that are asset fields, with where each is read.
    private let assetFields: [(field: DetectionFieldID, source: AssetField)]

    public init(engine: DetectionEngine, store: InventoryStore,
                configuration: PerimeterConfiguration, scope: ScopeKey,
                now: EventTime = EventTime(Date())) throws {
        self.now = now
        reader = try EventReader(configuration: configuration)
        inventory = try store.loadInventory(settings: configuration.inventory)
        bounds = configuration.criticalityBounds
        rules = try store.enabledRules(community: scope.community)
        self.scope = scope
        assetFields = engine.fieldPaths.enumerated().compactMap { field, path in
            AssetField(path: path).map { (field, $0) }
        }
    }

    /// Whether any rule reads an asset field: without one, the events are
    /// still observed (for the ones after), but none is enriched.
    private var isRead: Bool { !assetFields.isEmpty }

    /// Adds the asset fields of the event on `line` to `record`. A line the
    /// reader cannot parse adds nothing (the caller has reported it).
    public func append(ofEventOn line: UnsafeRawBufferPointer, to record: inout DetectionRecord) {
        guard let event = try? reader.read(line, scope: scope, source: "rules test", arrival: now)
        else { return }
        // Every event is observed, read by a rule or not: the ones after it
        // see what it made.
        let (_, match) = inventory.observeAndMatch(event.observation, rules: rules, now: now,
                                                   stream: "rules test",
                                                   advancesWatermark: event.hasEventTime)
        guard isRead else { return }
        let enrichment = AssetEnrichment(cards: inventory.enrichmentCards(match.assets),
                                         bounds: bounds, isAmbiguous: match.isAmbiguous)
        guard !enrichment.isEmpty else { return }
        for (field, source) in assetFields {
            source.append(from: enrichment, to: &record, field: field)
        }
    }
}
