#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// PostgreSQL's view of Kubiya execution IDs, and the error texts psycopg2 passes through.
enum KubiyaUUID {
    /// The canonical lower-case form of a UUID as PostgreSQL's `uuid_in` reads it (optional braces,
    /// a hyphen allowed after any group of four hex digits), or nil where PostgreSQL would refuse it.
    static func canonical(_ id: String) -> String? {
        var scalars = Substring(id).unicodeScalars
        if scalars.first == "{" {
            guard scalars.count >= 2, scalars.last == "}" else { return nil }
            scalars = scalars.dropFirst().dropLast()
        }
        var hex: [Character] = []
        var previousWasHyphen = false
        for (offset, scalar) in scalars.enumerated() {
            if scalar == "-" {
                let allowed = !hex.isEmpty && hex.count % 4 == 0 && !previousWasHyphen && offset < scalars.count - 1
                guard allowed else { return nil }
                previousWasHyphen = true
                continue
            }
            guard scalar.isASCII, scalar.properties.isASCIIHexDigit, hex.count < 32 else { return nil }
            hex.append(Character(scalar).lowercased().first!)
            previousWasHyphen = false
        }
        guard hex.count == 32 else { return nil }
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }
        return groups.joined(separator: "-")
    }

    /// Like `2026-11-23T16:20:08.512406Z`: UTC with microseconds.
    /// `zone`: "Z" as the terminate answer writes it; ExecutionResponse (the status read) writes "+00:00".
    static func timestamp(_ date: Date, zone: String = "Z") -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
        let whole = Date(timeIntervalSince1970: seconds).formatted(.iso8601)
        return whole.dropLast() + "." + String(micros).leftPadded(to: 6) + zone
    }

    static func invalidText(_ id: String) -> String {
        let sqlID = id.replacing("'", with: "''")
        return "Unexpected error: (psycopg2.errors.InvalidTextRepresentation) invalid input syntax for type uuid: \"\(id)\"\n"
            + "LINE 3: WHERE executions.id = '\(sqlID)'::UUID AND executions.organization_id = 'org_fake'\n"
            + "                              ^\n\n" + sql(id)
            + "\n(Background on this error at: https://sqlalche.me/e/20/9h9h)"
    }

    static func inFailedTransaction(_ id: String) -> String {
        "Unexpected error: (psycopg2.errors.InFailedSqlTransaction) current transaction is aborted, "
            + "commands ignored until end of transaction block\n\n" + sql(id)
            + "\n(Background on this error at: https://sqlalche.me/e/20/2j85)"
    }

    private static func sql(_ id: String) -> String {
        "[SQL: SELECT executions.id, executions.organization_id, executions.status, executions.temporal_workflow_id \n"
            + "FROM executions \nWHERE executions.id = %(id_1)s::UUID AND executions.organization_id = %(organization_id_1)s]\n"
            + "[parameters: {'id_1': '\(id)', 'organization_id_1': 'org_fake'}]"
    }
}
