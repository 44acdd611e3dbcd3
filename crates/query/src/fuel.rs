//! The work budget of evaluations: a count of units (an occurrence visited, a phrase path
//! extended, a proximity match produced, an op entered) that an evaluation spends as it
//! goes and that stops it when it runs out, so a query too costly for a document is refused
//! instead of holding a thread.

/// Units of work an evaluation may still spend. One `Fuel` may be shared by every
/// evaluation of a search (all its candidate documents), so the budget bounds the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fuel {
    budget: u64,
    left: u64,
    out: bool,
}

/// Units a search may spend by default ([`Fuel::default`]), across all the documents it
/// evaluates. An ordinary query on a 3 KB article spends some tens to a few hundred units,
/// so this covers ten thousand candidates with room to spare; a unit is some tens of
/// nanoseconds (a megabyte repeating a phrase costs about 240,000 units and 12 ms in a
/// release build), so the budget is about half a second of one core.
pub const DEFAULT_FUEL: u64 = 10_000_000;

impl Default for Fuel {
    fn default() -> Fuel {
        Fuel::new(DEFAULT_FUEL)
    }
}

impl Fuel {
    /// A budget of `units`.
    pub fn new(units: u64) -> Fuel {
        Fuel { budget: units, left: units, out: false }
    }

    /// No limit worth the name, for callers that trust the query (rules, tests).
    pub fn unlimited() -> Fuel {
        Fuel::new(u64::MAX)
    }

    /// The budget it was created with.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Units spent so far; never more than the budget.
    pub fn spent(&self) -> u64 {
        self.budget - self.left
    }

    /// Units left.
    pub fn left(&self) -> u64 {
        self.left
    }

    /// Whether some evaluation asked for more than was left and was stopped.
    pub fn is_exhausted(&self) -> bool {
        self.out
    }

    /// Spends `units`; `false` (and exhausted from then on) when fewer are left.
    #[inline]
    pub(crate) fn burn(&mut self, units: u64) -> bool {
        match self.left.checked_sub(units) {
            Some(left) if !self.out => {
                self.left = left;
                true
            }
            _ => {
                self.left = 0;
                self.out = true;
                false
            }
        }
    }
}

/// An evaluation stopped because its [`Fuel`] ran out: the query is too costly for the
/// budget, and its answer for the document is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the query needs more work than its budget of {budget} units allows")]
pub struct OutOfFuel {
    /// The budget that ran out.
    pub budget: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burning_stops_at_the_budget_and_stays_stopped() {
        let mut f = Fuel::new(5);
        assert!(f.burn(3) && f.burn(2));
        assert_eq!((f.spent(), f.left(), f.is_exhausted()), (5, 0, false));
        assert!(!f.burn(1));
        assert!(f.is_exhausted());
        assert!(!f.burn(0), "once out, always out");
        assert_eq!(f.spent(), 5);
        let mut g = Fuel::new(4);
        assert!(!g.burn(7));
        assert_eq!((g.spent(), g.is_exhausted()), (4, true));
    }
}
