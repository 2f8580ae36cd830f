//! Bit-pattern templates for instruction generators: a string in the
//! manual's bit order (most significant first, spaces ignored) of `0`, `1`,
//! `x` (a random bit) and named fields `name:width`, e.g.
//! `"cond:4 000 opc:4 s:1 rn:4 rd:4 imm5:5 ty:2 0 rm:4"`. 16- or 32-bit.

/// A parsed pattern: fixed bits, and named fields (name, lsb, width).
#[derive(Clone, Debug)]
pub struct Pattern {
    pub width: u32,
    pub mask: u32,
    pub bits: u32,
    pub fields: Vec<(&'static str, u32, u32)>,
}

impl Pattern {
    pub fn parse(p: &'static str) -> Pattern {
        let mut mask = 0u32;
        let mut bits = 0u32;
        let mut width = 0u32;
        // Fields with their msb position counted from the start.
        let mut named: Vec<(&'static str, u32, u32)> = Vec::new();
        for tok in p.split_whitespace() {
            if let Some((name, w)) = tok.split_once(':') {
                let w: u32 = w
                    .parse()
                    .unwrap_or_else(|_| panic!("bad field {tok:?} in {p:?}"));
                named.push((name, width, w));
                mask <<= w;
                bits <<= w;
                width += w;
                continue;
            }
            for ch in tok.chars() {
                mask <<= 1;
                bits <<= 1;
                match ch {
                    '0' => mask |= 1,
                    '1' => {
                        mask |= 1;
                        bits |= 1
                    }
                    'x' => {}
                    _ => panic!("bad pattern char {ch:?} in {p:?}"),
                }
                width += 1;
            }
        }
        assert!(width == 16 || width == 32, "pattern {p:?} is {width} bits");
        let fields = named
            .into_iter()
            .map(|(n, start, w)| (n, width - start - w, w))
            .collect();
        Pattern {
            width,
            mask,
            bits,
            fields,
        }
    }

    /// Fixed bits plus `random` in every other bit.
    pub fn fill(&self, random: u32) -> u32 {
        let all = if self.width == 32 { u32::MAX } else { 0xffff };
        self.bits | (random & !self.mask & all)
    }

    pub fn matches(&self, w: u32) -> bool {
        w & self.mask == self.bits
    }

    fn field(&self, name: &str) -> (u32, u32) {
        self.fields
            .iter()
            .find(|f| f.0 == name)
            .map(|f| (f.1, f.2))
            .unwrap_or_else(|| panic!("no field {name}"))
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.0 == name)
    }

    pub fn get(&self, w: u32, name: &str) -> u32 {
        let (lsb, n) = self.field(name);
        (w >> lsb) & ((1u64 << n) - 1) as u32
    }

    pub fn set(&self, w: u32, name: &str, v: u32) -> u32 {
        let (lsb, n) = self.field(name);
        let m = (((1u64 << n) - 1) as u32) << lsb;
        (w & !m) | ((v << lsb) & m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn fields() {
        let p = Pattern::parse("cond:4 000 opc:4 s:1 rn:4 rd:4 imm12:12");
        assert_eq!(p.mask, 0x0e00_0000);
        let w = p.set(p.fill(0), "rd", 5);
        assert_eq!(w, 0x5000);
        assert_eq!(p.get(0xe123_4567, "rn"), 3);
        let t = Pattern::parse("010000 op:4 rm:3 rdn:3");
        assert_eq!((t.width, t.bits), (16, 0x4000));
    }
}
