/// Martin Porter's 1980 suffix-stripping stemmer, on lower-case ASCII words
/// (other words are returned unchanged).
public enum PorterStemmer {
    public static func stem(_ word: String) -> String {
        guard word.utf8.count > 2, word.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return word }
        var w = Word(Array(word.utf8))
        w.step1ab(); w.step1c(); w.step2(); w.step3(); w.step4(); w.step5()
        return String(decoding: w.b[0...w.k], as: UTF8.self)
    }

    struct Word {
        var b: [UInt8]
        var k: Int   // last index of the word
        var j = 0    // end of the stem while testing a suffix

        init(_ b: [UInt8]) { self.b = b; k = b.count - 1 }

        func cons(_ i: Int) -> Bool {
            switch b[i] {
            case 97, 101, 105, 111, 117: return false  // a e i o u
            case 121: return i == 0 ? true : !cons(i - 1)  // y
            default: return true
            }
        }

        /// The number of vowel–consonant sequences in b[0...j].
        func m() -> Int {
            var n = 0, i = 0
            while true { if i > j { return n }; if !cons(i) { break }; i += 1 }
            i += 1
            while true {
                while true { if i > j { return n }; if cons(i) { break }; i += 1 }
                i += 1; n += 1
                while true { if i > j { return n }; if !cons(i) { break }; i += 1 }
                i += 1
            }
        }

        func vowelInStem() -> Bool { (0...max(j, 0)).contains { j >= 0 && !cons($0) } }
        func doubleC(_ i: Int) -> Bool { i >= 1 && b[i] == b[i - 1] && cons(i) }
        func cvc(_ i: Int) -> Bool {
            guard i >= 2, cons(i), !cons(i - 1), cons(i - 2) else { return false }
            return b[i] != 119 && b[i] != 120 && b[i] != 121  // w x y
        }

        mutating func ends(_ s: String) -> Bool {
            let u = Array(s.utf8)
            guard u.count <= k + 1, Array(b[(k - u.count + 1)...k]) == u else { return false }
            j = k - u.count
            return true
        }

        mutating func setTo(_ s: String) {
            let u = Array(s.utf8)
            b.replaceSubrange((j + 1)..<(k + 1), with: u)
            k = j + u.count
        }

        mutating func r(_ s: String) { if m() > 0 { setTo(s) } }

        mutating func step1ab() {
            if b[k] == 115 {  // s
                if ends("sses") { k -= 2 } else if ends("ies") { setTo("i") } else if k >= 1 && b[k - 1] != 115 { k -= 1 }
            }
            if ends("eed") {
                if m() > 0 { k -= 1 }
            } else if (ends("ed") || ends("ing")) && vowelInStem() {
                k = j
                if ends("at") { setTo("ate") } else if ends("bl") { setTo("ble") } else if ends("iz") { setTo("ize") }
                else if doubleC(k) {
                    k -= 1
                    if [108, 115, 122].contains(b[k]) { k += 1 }  // l s z stay doubled
                } else if m() == 1 && cvc(k) { setTo("e") }
            }
            b.removeSubrange((k + 1)...)
        }

        mutating func step1c() {
            if ends("y") && vowelInStem() { b[k] = 105 }
        }

        mutating func step2() {
            guard k >= 1 else { return }
            let rules: [(String, String)] = [
                ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
                ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"),
                ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"),
                ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"), ("logi", "log"),
            ]
            for (suffix, replacement) in rules where ends(suffix) { r(replacement); return }
        }

        mutating func step3() {
            let rules: [(String, String)] = [
                ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
            ]
            for (suffix, replacement) in rules where ends(suffix) { r(replacement); return }
        }

        mutating func step4() {
            guard k >= 1 else { return }
            let suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou",
                            "ism", "ate", "iti", "ous", "ive", "ize"]
            for s in suffixes where ends(s) {
                if s == "ion" && !(j >= 0 && (b[j] == 115 || b[j] == 116)) { return }
                if m() > 1 { k = j }
                return
            }
        }

        mutating func step5() {
            j = k
            if b[k] == 101 {  // e
                let a = m()
                if a > 1 || (a == 1 && !cvc(k - 1)) { k -= 1 }
            }
            if b[k] == 108 && doubleC(k) && m() > 1 { k -= 1 }  // ll
        }
    }
}
