/// The value transformations of Sigma's encoding modifiers.
enum SigmaEncoding {
    static let dashes: [[UInt8]] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"].map {
        Array($0.utf8)
    }
    /// More dashes than this would expand to over 3,125 variants: keep the first ones.
    static let maximumWindashPositions = 5

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
            || byte == 95 || byte >= 0x80
    }

    /// Every variant of the value where each `-` or `/` that starts a word (not preceded
    /// by a word character, followed by one) is any of the five dash characters; this
    /// is pySigma's reading of `windash`.
    static func windashVariants(_ value: SigmaString) -> [SigmaString] {
        var variants: [[SigmaString.Token]] = [[]]
        // Counted over the whole value: counted per literal, a value with
        // wildcards between its flags multiplied 3,125 variants by 3,125.
        var positions = 0
        for token in value.tokens {
            guard case .literal(let bytes) = token else {
                variants = variants.map { $0 + [token] }
                continue
            }
            var pieces: [[[UInt8]]] = [[[]]]
            for (index, byte) in bytes.enumerated() {
                let isDash = byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")
                let previousIsWord = index > 0 && isWordByte(bytes[index - 1])
                let nextIsWord = index + 1 < bytes.count && isWordByte(bytes[index + 1])
                if isDash, !previousIsWord, nextIsWord, positions < maximumWindashPositions {
                    positions += 1
                    pieces = pieces.flatMap { piece in
                        dashes.map { dash in
                            var copy = piece
                            copy[copy.count - 1] += dash
                            return copy
                        }
                    }
                } else {
                    for index in pieces.indices { pieces[index][pieces[index].count - 1].append(byte) }
                }
            }
            let literals = pieces.map { $0.joined() }.map { Array($0) }
            variants = variants.flatMap { prefix in literals.map { prefix + [.literal($0)] } }
        }
        return variants.map(SigmaString.init(tokens:))
    }

    private static let alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            let b0 = bytes[index]
            let b1 = count > 1 ? bytes[index + 1] : 0
            let b2 = count > 2 ? bytes[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(count > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : 61)
            output.append(count > 2 ? alphabet[Int(b2 & 0x3F)] : 61)
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The three forms a value takes inside base64 at byte offsets 0, 1 and 2: the value
    /// is shifted by 0–2 spaces, encoded, and the characters that depend on the
    /// neighbouring bytes are cut from both ends (pySigma's offsets 0/2/3 and 0/-3/-2).
    static func base64Offsets(_ bytes: [UInt8]) -> [String] {
        let startOffsets = [0, 2, 3]
        let endOffsets: [Int?] = [nil, -3, -2]
        return (0..<3).map { shift in
            let encoded = Array(base64(Array(repeating: UInt8(ascii: " "), count: shift) + bytes).utf8)
            let start = startOffsets[shift]
            let end = endOffsets[(bytes.count + shift) % 3].map { encoded.count + $0 }
                ?? encoded.count
            guard start < end else { return "" }
            return String(decoding: encoded[start..<end], as: UTF8.self)
        }
    }

    static func utf16LE(_ bytes: [UInt8]) -> [UInt8] {
        String(decoding: bytes, as: UTF8.self).utf16.flatMap { unit in
            [UInt8(truncatingIfNeeded: unit), UInt8(truncatingIfNeeded: unit >> 8)]
        }
    }

    static func utf16BE(_ bytes: [UInt8]) -> [UInt8] {
        String(decoding: bytes, as: UTF8.self).utf16.flatMap { unit in
            [UInt8(truncatingIfNeeded: unit >> 8), UInt8(truncatingIfNeeded: unit)]
        }
    }
}
