//! Metrics through the proxy-wasm metrics ABI: one registry per VM (root context) that
//! defines each metric name once and keeps its id, so a request costs one host call per
//! sample and no allocation once its series exist. Names and samples come from the core
//! ([`crate::analytics::metrics`]).

use std::collections::HashMap;

use super::raw;
use crate::analytics::metrics::{self, Kind, ModelLabels, Sample};

/// Metric ids by full name, and the bounded model labels.
#[derive(Default)]
pub struct Registry {
    ids: HashMap<String, u32>,
    models: ModelLabels,
    /// Reused name buffer.
    name: String,
    /// Reused sample buffer.
    pub samples: Vec<Sample>,
    /// The host refused a definition once: stop trying (logged once).
    disabled: bool,
}

impl Registry {
    /// Records `self.samples` for one request's series.
    pub fn flush(&mut self, provider: &str, route: &str, model: &str) {
        if self.disabled {
            return;
        }
        let Registry {
            ids,
            models,
            name,
            samples,
            disabled,
        } = self;
        let model = models.label(model);
        for sample in samples.iter() {
            metrics::write_name(name, sample.metric, provider, route, model);
            let kind = sample.metric.kind();
            let id = match ids.get(name.as_str()) {
                Some(id) => *id,
                None => match raw::define_metric(kind.abi(), name) {
                    Ok(id) => {
                        ids.insert(name.clone(), id);
                        id
                    }
                    Err(e) => {
                        log::warn!(
                            "ai-proxy: host refused metric {name} (status {}); metrics off",
                            e.0
                        );
                        *disabled = true;
                        return;
                    }
                },
            };
            let r = match kind {
                Kind::Counter => raw::increment_metric(id, sample.value),
                Kind::Histogram => raw::record_metric(id, sample.value),
            };
            if let Err(e) = r {
                log::debug!("ai-proxy: host refused a metric update (status {})", e.0);
            }
        }
    }
}
