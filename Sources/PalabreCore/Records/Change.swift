import Foundation

/// The name of the field that holds a record's deletion: a tombstone is a field like any other, so an edit of
/// other fields never touches it and only a later write of it (a restore) brings the record back.
public let deletedField = "_deleted"

/// The field that erases a record's identifying values (DESIGN.md, *Erasure*; `sync/PROTOCOL.md`): a list of field
/// names, merged by union, not by last writer. Once a field is listed, its value, stamp and history are gone and every
/// write of it, whatever its stamp, is dropped: the erasure wins over any concurrent or later write.
public let erasedField = "_erased"

/// Who erased (a device or person, said by the eraser): the tombstone's "by whom", last writer wins. Its "when" is the
/// stamp of ``erasedField``.
public let erasedByField = "_erased_by"

/// One local transaction's writes to one record, as it travels between stores.
///
/// Fields saved together share one stamp. `prev` holds, for each written field, the stamp the field had on
/// the writing store just before: a receiving store uses it to tell a sequential edit from a concurrent one.
public struct Change: Hashable, Sendable {
    /// The record.
    public var recordID: String
    /// The record's form.
    public var form: String
    /// The form version the writer used.
    public var formVersion: Int
    /// The project the record belongs to.
    public var project: String
    /// When and where it was written.
    public var stamp: Stamp
    /// The written fields; nil clears a field.
    public var values: [String: Value?]
    /// The stamp each written field had on the writer before this write (absent = never written there).
    public var prev: [String: Stamp]

    /// Builds a change.
    public init(
        recordID: String, form: String, formVersion: Int, project: String, stamp: Stamp,
        values: [String: Value?], prev: [String: Stamp] = [:]
    ) {
        self.recordID = recordID
        self.form = form
        self.formVersion = formVersion
        self.project = project
        self.stamp = stamp
        self.values = values
        self.prev = prev
    }
}
