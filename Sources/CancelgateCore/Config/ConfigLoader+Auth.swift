internal import Foundation

/// `/upstreams/<name>/auth`: which keys are allowed depends on `type`, so the type is read first.
extension ConfigReader {
    typealias AuthType = ConfigLoader.AuthType

    /// Absent: `.none`. Nil after reporting a problem.
    mutating func auth(_ upstream: ConfigObject) -> UpstreamAuth? {
        guard let value = upstream["auth"] else { return UpstreamAuth.none }
        guard let auth = object(value, at: upstream.path("auth")) else { return nil }
        let types = ConfigLoader.authTypes.joined(separator: ", ")
        guard auth["type"] != nil else {
            report(auth.path("type"), "is required; one of: \(types)")
            rejectUnknownKeys(auth, allowed: Keys.anyAuth)
            return nil
        }
        let type = string(auth, "type")
        if let type, ConfigLoader.authKeys[type] == nil {
            report(auth.path("type"), "unknown auth type \"\(type)\"; must be one of: \(types)")
        }
        guard let type, let allowed = ConfigLoader.authKeys[type] else {
            rejectUnknownKeys(auth, allowed: Keys.anyAuth)
            return nil
        }
        rejectUnknownKeys(auth, allowed: allowed, context: " for auth type \(type)")
        switch type {
        case AuthType.bearer:
            return secret(auth, "token", headerSafe: true).map { .bearer(token: $0) }
        case AuthType.header:
            let name = headerName(auth)
            let value = secret(auth, "value", headerSafe: true)
            guard let name, let value else { return nil }
            return .header(name: name, value: value)
        case AuthType.oauth2:
            let tokenURL = tokenURL(auth)
            let clientID = string(auth, "client_id", required: true, nonEmpty: true)
            let clientSecret = secret(auth, "client_secret")
            guard let tokenURL, let clientID, let clientSecret else { return nil }
            return .oauth2ClientCredentials(tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret)
        default:
            return UpstreamAuth.none
        }
    }

    /// An RFC 9110 field name (`token`): anything else would corrupt the request.
    private mutating func headerName(_ auth: ConfigObject) -> String? {
        guard let name = string(auth, "name", required: true, nonEmpty: true) else { return nil }
        guard name.unicodeScalars.allSatisfy(Self.isTokenCharacter) else {
            report(auth.path("name"), "must be a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
            return nil
        }
        return name
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }

    /// Absolute http(s), or a path starting with "/" that C1 resolves against `base_url`.
    private mutating func tokenURL(_ auth: ConfigObject) -> String? {
        guard let text = string(auth, "token_url", required: true, nonEmpty: true) else { return nil }
        if text.hasPrefix("/") {
            guard !text.hasPrefix("//"), let components = URLComponents(string: text), components.fragment == nil else {
                report(auth.path("token_url"), "must be an absolute http or https URL or a path starting with \"/\"")
                return nil
            }
            return text
        }
        if Self.httpURLProblem(text) != nil {
            report(auth.path("token_url"), "must be an absolute http or https URL or a path starting with \"/\"")
            return nil
        }
        return text
    }
}
