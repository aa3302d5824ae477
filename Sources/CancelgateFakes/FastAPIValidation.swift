/// The pydantic v2 error items FastAPI puts in a 422 `HTTPValidationError`, for the request bodies the
/// fakes take: an object with a list of strings and maybe a reason string.
enum FastAPIValidation {
    static func item(
        _ type: String, loc: [JSONValue], msg: String, input: JSONValue, ctx: [(String, JSONValue)]? = nil
    ) -> JSONValue {
        var fields: [(String, JSONValue)] = [("type", .string(type)), ("loc", .array(loc)), ("msg", .string(msg)), ("input", input)]
        if let ctx { fields.append(("ctx", .object(ctx))) }
        return .object(fields)
    }

    /// The body itself: absent, or not an object. Empty when the body can be checked field by field.
    static func body(_ body: JSONValue?) -> [JSONValue] {
        guard let body else {
            return [item("missing", loc: [.string("body")], msg: "Field required", input: .null)]
        }
        guard body.isObject else {
            let msg = "Input should be a valid dictionary or object to extract fields from"
            return [item("model_attributes_type", loc: [.string("body")], msg: msg, input: body)]
        }
        return []
    }

    /// A required list of strings with length bounds.
    static func stringList(_ body: JSONValue, field: String, minItems: Int?, maxItems: Int) -> [JSONValue] {
        let loc: [JSONValue] = [.string("body"), .string(field)]
        guard let value = body[field] else {
            return [item("missing", loc: loc, msg: "Field required", input: body)]
        }
        guard let list = value.arrayValue else {
            return [item("list_type", loc: loc, msg: "Input should be a valid list", input: value)]
        }
        if list.count > maxItems {
            let msg = "List should have at most \(maxItems) items after validation, not \(list.count)"
            let ctx: [(String, JSONValue)] = [("field_type", .string("List")), ("max_length", .int(maxItems)), ("actual_length", .int(list.count))]
            return [item("too_long", loc: loc, msg: msg, input: value, ctx: ctx)]
        }
        var errors: [JSONValue] = []
        for (index, element) in list.enumerated() where element.stringValue == nil {
            errors.append(item("string_type", loc: loc + [.int(index)], msg: "Input should be a valid string", input: element))
        }
        if errors.isEmpty, let minItems, list.count < minItems {
            let msg = "List should have at least \(minItems) item after validation, not \(list.count)"
            let ctx: [(String, JSONValue)] = [("field_type", .string("List")), ("min_length", .int(minItems)), ("actual_length", .int(list.count))]
            errors.append(item("too_short", loc: loc, msg: msg, input: value, ctx: ctx))
        }
        return errors
    }

    /// A required string of 1...maxLength characters (pydantic counts code points).
    static func string(_ body: JSONValue, field: String, maxLength: Int) -> [JSONValue] {
        let loc: [JSONValue] = [.string("body"), .string(field)]
        guard let value = body[field] else {
            return [item("missing", loc: loc, msg: "Field required", input: body)]
        }
        guard let text = value.stringValue else {
            return [item("string_type", loc: loc, msg: "Input should be a valid string", input: value)]
        }
        let length = text.unicodeScalars.count
        if length < 1 {
            let ctx: [(String, JSONValue)] = [("min_length", .int(1))]
            return [item("string_too_short", loc: loc, msg: "String should have at least 1 character", input: value, ctx: ctx)]
        }
        if length > maxLength {
            let msg = "String should have at most \(maxLength) characters"
            return [item("string_too_long", loc: loc, msg: msg, input: value, ctx: [("max_length", .int(maxLength))])]
        }
        return []
    }
}
