/// What the atom extractor needs from an event: the string values of a
/// field, whatever the event's layout. The JSON layer implements it over
/// its parsed document; tests implement it over a dictionary.
public protocol EventFieldSource {
    /// Calls `body` with every string value of the field at `index` in
    /// `AtomExtractor.fieldPaths`: each element of a list, numbers as their
    /// decimal text, the values of both the dotted key (`"host.name"`) and
    /// the nested object (`{"host":{"name":…}}`) when an event has both.
    /// Absent fields, nulls, objects and booleans call nothing.
    func forEachString(inField index: Int, _ body: (String) -> Void)
}
