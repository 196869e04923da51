//! Positions, open orders and the exposure they add up to (gross, net, leverage, Greeks, sectors).

mod book;
mod exposure;
mod greeks;
mod model;
mod parse;

pub use book::{Baseline, Book, Contribution, KeyAgg, KeyId, SymbolState};
pub use exposure::{Exposure, exposure};
pub use greeks::GreekVec;
pub use model::{Account, AssetKind, Contract, Holding, OPTION_MULTIPLIER, OpenOrder, Portfolio};
pub use parse::PortfolioError;
