//! `image/v1/images/generations` and `image/v1/images/edits` on providers whose image API is
//! not OpenAI's (docs/routes.md "Images on other providers"): the OpenAI request (JSON, or the
//! edit form) becomes the provider's body, and its answer becomes OpenAI's image object
//! (`created`, `data[].b64_json` or `data[].url`, `usage` when the provider reports tokens).
//!
//! | provider | models | operation |
//! |---|---|---|
//! | gemini (AI Studio, Vertex) | Gemini image models | `:generateContent` with image output |
//! | gemini (AI Studio, Vertex) | `imagen-*` (generations only) | `:predict` |
//! | bedrock | `amazon.nova-canvas-*`, `amazon.titan-image-*` | `InvokeModel`, `TEXT_IMAGE` / `IMAGE_VARIATION` |
//! | bedrock | `stability.*` | `InvokeModel`, text-to-image / image-to-image |
//! | dashscope | `qwen-image*` | `multimodal-generation/generation` |

use base64::Engine;
use serde_json::{json, Map, Value};

use super::multipart;
use crate::api::RouteType;
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};

/// The image API a request is translated to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageApi {
    /// Gemini `generateContent` with `responseModalities` including `IMAGE`.
    GeminiContent,
    /// Imagen `:predict` (`instances[].prompt`, `predictions[].bytesBase64Encoded`).
    Imagen,
    /// Bedrock Amazon Nova Canvas and Titan Image Generator (same body).
    NovaCanvas,
    /// Bedrock Stability AI models (SD3.5, Stable Image Core/Ultra).
    Stability,
    /// DashScope Qwen image models, synchronous multimodal generation.
    Dashscope,
}

/// DashScope's synchronous image path (Kong's "image gen" path for DashScope).
pub const DASHSCOPE_PATH: &str = "/api/v1/services/aigc/multimodal-generation/generation";

/// Whether this module translates `route` for `provider`.
pub fn translated(provider: ProviderName, route: RouteType) -> bool {
    matches!(route, RouteType::ImageGenerations | RouteType::ImageEdits)
        && matches!(
            provider,
            ProviderName::Gemini | ProviderName::Bedrock | ProviderName::Dashscope
        )
}

/// Whether a Gemini model name is an Imagen model (served by `:predict`).
pub fn is_imagen(model: &str) -> bool {
    model
        .strip_prefix("models/")
        .unwrap_or(model)
        .starts_with("imagen")
}

/// The API for a model of a translated provider; 400 for a Bedrock model of a family without
/// an image body we know.
pub fn api(provider: ProviderName, model: &str) -> Result<ImageApi, ProxyError> {
    match provider {
        ProviderName::Gemini if is_imagen(model) => Ok(ImageApi::Imagen),
        ProviderName::Gemini => Ok(ImageApi::GeminiContent),
        ProviderName::Dashscope => Ok(ImageApi::Dashscope),
        ProviderName::Bedrock
            if model.contains("amazon.nova-canvas") || model.contains("amazon.titan-image") =>
        {
            Ok(ImageApi::NovaCanvas)
        }
        ProviderName::Bedrock if model.contains("stability.") => Ok(ImageApi::Stability),
        _ => Err(ProxyError::bad_request(format!(
            "image routes on {} serve Amazon Nova Canvas, Titan Image and Stability models; '{model}' is none of them",
            provider.as_str()
        ))),
    }
}

/// An inline image of an edit form, base64-encoded for the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Inline {
    /// Its media type (`image/png` when the form did not say).
    pub mime: String,
    /// The bytes in standard base64.
    pub b64: String,
}

/// What an OpenAI image request asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageRequest {
    /// `prompt` (required).
    pub prompt: String,
    /// `n`.
    pub n: Option<u64>,
    /// `size` (`WIDTHxHEIGHT` or `auto`).
    pub size: Option<String>,
    /// `quality`.
    pub quality: Option<String>,
    /// `response_format` (`url` or `b64_json`).
    pub response_format: Option<String>,
    /// `output_format` (`png`, `jpeg`, `webp`).
    pub output_format: Option<String>,
    /// Not OpenAI's: `negative_prompt`, for the providers that take one.
    pub negative_prompt: Option<String>,
    /// Not OpenAI's: `seed`.
    pub seed: Option<i64>,
    /// Not OpenAI's: Stability's `strength` for image-to-image.
    pub strength: Option<f64>,
    /// Kong's pass-through for Gemini: a client `generationConfig` merged into the one built.
    pub generation_config: Option<Map<String, Value>>,
    /// The images of an edit (`image`, `image[]`).
    pub images: Vec<Inline>,
    /// The edit's `mask`.
    pub mask: Option<Inline>,
}

fn bad(msg: impl Into<String>) -> ProxyError {
    ProxyError::bad_request(msg)
}

impl ImageRequest {
    /// An images/generations JSON body.
    pub fn from_json(v: &Value) -> Result<ImageRequest, ProxyError> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let n = match v.get("n") {
            None | Some(Value::Null) => None,
            Some(x) => Some(
                x.as_u64()
                    .ok_or_else(|| bad("'n' must be a positive integer"))?,
            ),
        };
        let req = ImageRequest {
            prompt: text("prompt").unwrap_or_default(),
            n,
            size: text("size"),
            quality: text("quality"),
            response_format: text("response_format"),
            output_format: text("output_format"),
            negative_prompt: text("negative_prompt"),
            seed: v.get("seed").and_then(Value::as_i64),
            strength: v.get("strength").and_then(Value::as_f64),
            generation_config: v
                .get("generationConfig")
                .and_then(Value::as_object)
                .cloned(),
            images: Vec::new(),
            mask: None,
        };
        req.checked()
    }

    /// An images/edits form (`multipart/form-data`).
    pub fn from_form(content_type: &str, body: &[u8]) -> Result<ImageRequest, ProxyError> {
        let mut req = ImageRequest::default();
        let engine = base64::engine::general_purpose::STANDARD;
        for p in multipart::parts(content_type, body) {
            let inline = || Inline {
                mime: p.content_type.unwrap_or("image/png").to_string(),
                b64: engine.encode(p.value),
            };
            if p.filename.is_some() || matches!(p.name, "image" | "image[]" | "mask") {
                match p.name {
                    "image" | "image[]" => req.images.push(inline()),
                    "mask" => req.mask = Some(inline()),
                    _ => {}
                }
                continue;
            }
            let Ok(value) = std::str::from_utf8(p.value) else {
                continue;
            };
            let value = value.to_string();
            match p.name {
                "prompt" => req.prompt = value,
                "n" => {
                    req.n = Some(
                        value
                            .trim()
                            .parse()
                            .map_err(|_| bad("'n' must be a positive integer"))?,
                    )
                }
                "size" => req.size = Some(value),
                "quality" => req.quality = Some(value),
                "response_format" => req.response_format = Some(value),
                "output_format" => req.output_format = Some(value),
                "negative_prompt" => req.negative_prompt = Some(value),
                "seed" => req.seed = value.trim().parse().ok(),
                "strength" => req.strength = value.trim().parse().ok(),
                _ => {}
            }
        }
        if req.images.is_empty() {
            return Err(bad("an image edit needs at least one 'image' file"));
        }
        req.checked()
    }

    fn checked(self) -> Result<ImageRequest, ProxyError> {
        if self.prompt.trim().is_empty() {
            return Err(bad("'prompt' is required"));
        }
        if self.n == Some(0) || self.n.is_some_and(|n| n > 10) {
            return Err(bad("'n' must be between 1 and 10"));
        }
        Ok(self)
    }

    fn count(&self) -> u64 {
        self.n.unwrap_or(1)
    }

    /// Width and height of a `WIDTHxHEIGHT` size.
    fn dims(&self) -> Option<(u64, u64)> {
        let (w, h) = self.size.as_deref()?.split_once('x')?;
        Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
    }

    /// The ratio among `allowed` closest to the requested size.
    fn aspect(&self, allowed: &[&'static str]) -> Option<&'static str> {
        let (w, h) = self.dims().filter(|(w, h)| *w > 0 && *h > 0)?;
        let want = (w as f64 / h as f64).ln();
        let ratio = |r: &str| {
            let (a, b) = r.split_once(':')?;
            Some((a.parse::<f64>().ok()? / b.parse::<f64>().ok()?).ln())
        };
        allowed
            .iter()
            .filter_map(|r| Some((*r, (ratio(r)? - want).abs())))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(r, _)| r)
    }

    fn refuse_mask(&self, provider: &str) -> Result<(), ProxyError> {
        if self.mask.is_some() {
            return Err(bad(format!(
                "'mask' is not supported for image edits on {provider}: its masks do not follow OpenAI's (transparent = edit) convention"
            )));
        }
        Ok(())
    }
}

// Aspect ratios each API accepts (Gemini API "Image generation", Vertex Imagen API reference,
// Bedrock Stability AI model parameters).
const GEMINI_RATIOS: &[&str] = &[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
];
const IMAGEN_RATIOS: &[&str] = &["1:1", "3:4", "4:3", "9:16", "16:9"];
const STABILITY_RATIOS: &[&str] = &[
    "1:1", "2:3", "3:2", "4:5", "5:4", "9:16", "16:9", "9:21", "21:9",
];

fn mime_of(format: Option<&str>) -> Option<&'static str> {
    Some(match format? {
        "png" => "image/png",
        "jpeg" | "jpg" => "image/jpeg",
        "webp" => "image/webp",
        _ => return None,
    })
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v);
    }
}

/// The provider's request body for an OpenAI image request (`model` goes in the body for
/// DashScope; the others name it in the path).
pub fn encode(
    api: ImageApi,
    route: RouteType,
    model: &str,
    req: &ImageRequest,
) -> Result<Value, ProxyError> {
    let edit = route == RouteType::ImageEdits;
    match api {
        ImageApi::GeminiContent => {
            req.refuse_mask("gemini")?;
            let mut parts = vec![json!({"text": req.prompt})];
            for img in &req.images {
                parts.push(json!({"inlineData": {"mimeType": img.mime, "data": img.b64}}));
            }
            let mut config = Map::new();
            config.insert("responseModalities".into(), json!(["TEXT", "IMAGE"]));
            insert(
                &mut config,
                "candidateCount",
                (req.count() > 1).then(|| json!(req.count())),
            );
            let mut image_config = Map::new();
            insert(
                &mut image_config,
                "aspectRatio",
                req.aspect(GEMINI_RATIOS).map(Value::from),
            );
            if let Some(client) = &req.generation_config {
                for (k, v) in client {
                    match (k.as_str(), v) {
                        ("imageConfig", Value::Object(o)) => image_config.extend(o.clone()),
                        _ => {
                            config.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            if !image_config.is_empty() {
                config.insert("imageConfig".into(), Value::Object(image_config));
            }
            Ok(json!({"contents": [{"role": "user", "parts": parts}], "generationConfig": config}))
        }
        ImageApi::Imagen => {
            if edit {
                return Err(bad(
                    "image edits on gemini need a Gemini image model: Imagen's editing API takes reference images and modes the OpenAI edit form does not carry",
                ));
            }
            let mut params = Map::new();
            params.insert("sampleCount".into(), json!(req.count()));
            insert(
                &mut params,
                "aspectRatio",
                req.aspect(IMAGEN_RATIOS).map(Value::from),
            );
            insert(
                &mut params,
                "negativePrompt",
                req.negative_prompt.clone().map(Value::from),
            );
            insert(&mut params, "seed", req.seed.map(Value::from));
            insert(
                &mut params,
                "outputOptions",
                mime_of(req.output_format.as_deref()).map(|m| json!({"mimeType": m})),
            );
            Ok(json!({"instances": [{"prompt": req.prompt}], "parameters": params}))
        }
        ImageApi::NovaCanvas => {
            req.refuse_mask("bedrock")?;
            let mut config = Map::new();
            config.insert("numberOfImages".into(), json!(req.count()));
            if let Some((w, h)) = req.dims() {
                config.insert("width".into(), json!(w));
                config.insert("height".into(), json!(h));
            }
            let quality = match req.quality.as_deref() {
                Some("hd" | "high") => Some("premium"),
                Some("standard" | "medium" | "low") => Some("standard"),
                _ => None,
            };
            insert(&mut config, "quality", quality.map(Value::from));
            insert(&mut config, "seed", req.seed.map(Value::from));
            let mut params = Map::new();
            params.insert("text".into(), json!(req.prompt));
            insert(
                &mut params,
                "negativeText",
                req.negative_prompt.clone().map(Value::from),
            );
            Ok(if edit {
                let images: Vec<&str> = req.images.iter().map(|i| i.b64.as_str()).collect();
                params.insert("images".into(), json!(images));
                json!({"taskType": "IMAGE_VARIATION", "imageVariationParams": params,
                    "imageGenerationConfig": config})
            } else {
                json!({"taskType": "TEXT_IMAGE", "textToImageParams": params,
                    "imageGenerationConfig": config})
            })
        }
        ImageApi::Stability => {
            req.refuse_mask("bedrock")?;
            if req.count() > 1 {
                return Err(bad(
                    "Stability models on bedrock make one image per request: 'n' must be 1",
                ));
            }
            let mut body = Map::new();
            body.insert("prompt".into(), json!(req.prompt));
            insert(
                &mut body,
                "negative_prompt",
                req.negative_prompt.clone().map(Value::from),
            );
            insert(&mut body, "seed", req.seed.map(Value::from));
            insert(
                &mut body,
                "output_format",
                req.output_format.clone().map(Value::from),
            );
            match req.images.as_slice() {
                [] => insert(
                    &mut body,
                    "aspect_ratio",
                    req.aspect(STABILITY_RATIOS).map(Value::from),
                ),
                [img] => {
                    body.insert("mode".into(), json!("image-to-image"));
                    body.insert("image".into(), json!(img.b64));
                    insert(&mut body, "strength", req.strength.map(Value::from));
                }
                _ => return Err(bad("Stability image-to-image takes one 'image'")),
            }
            Ok(Value::Object(body))
        }
        ImageApi::Dashscope => {
            let mut content: Vec<Value> = req
                .images
                .iter()
                .map(|i| json!({"image": format!("data:{};base64,{}", i.mime, i.b64)}))
                .collect();
            content.push(json!({"text": req.prompt}));
            let mut params = Map::new();
            insert(
                &mut params,
                "size",
                req.dims().map(|(w, h)| json!(format!("{w}*{h}"))),
            );
            insert(&mut params, "n", req.n.map(Value::from));
            insert(
                &mut params,
                "negative_prompt",
                req.negative_prompt.clone().map(Value::from),
            );
            insert(&mut params, "seed", req.seed.map(Value::from));
            if edit {
                req.refuse_mask("dashscope")?;
            }
            Ok(
                json!({"model": model, "input": {"messages": [{"role": "user", "content": content}]},
                "parameters": params}),
            )
        }
    }
}

/// One generated image: base64 with its media type, or a URL.
enum Image {
    Bytes { b64: String, mime: Option<String> },
    Url(String),
}

fn no_image(why: String) -> TranslateError {
    TranslateError::new(format!("no image in the answer{why}"))
}

fn reason(label: &str, v: Option<&Value>) -> String {
    match v.and_then(Value::as_str) {
        Some(r) => format!(" ({label}: {r})"),
        None => String::new(),
    }
}

/// The provider's 2xx answer as OpenAI's image object. `created` is the gateway's clock
/// (none of these APIs report one); `want_url` is `response_format: "url"`, answered with
/// `data:` URLs when the provider returns bytes.
pub fn decode(
    api: ImageApi,
    body: &[u8],
    created: u64,
    want_url: bool,
) -> Result<Value, TranslateError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| TranslateError::new("the image answer is not JSON"))?;
    let strs = |p: &str| -> Vec<String> {
        v.pointer(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut usage = None;
    let images: Vec<Image> = match api {
        ImageApi::GeminiContent => {
            let mut out = Vec::new();
            for c in v
                .get("candidates")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for p in c
                    .pointer("/content/parts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(d) = p.get("inlineData").or_else(|| p.get("inline_data")) else {
                        continue;
                    };
                    if let Some(b64) = d.get("data").and_then(Value::as_str) {
                        let mime = d.get("mimeType").or_else(|| d.get("mime_type"));
                        out.push(Image::Bytes {
                            b64: b64.to_string(),
                            mime: mime.and_then(Value::as_str).map(str::to_string),
                        });
                    }
                }
            }
            if out.is_empty() {
                let why = match v.pointer("/promptFeedback/blockReason") {
                    Some(b) => reason("blockReason", Some(b)),
                    None => reason("finishReason", v.pointer("/candidates/0/finishReason")),
                };
                return Err(no_image(why));
            }
            usage = v.get("usageMetadata").map(gemini_usage);
            out
        }
        ImageApi::Imagen => {
            let preds = v.get("predictions").and_then(Value::as_array);
            let out: Vec<Image> = preds
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    Some(Image::Bytes {
                        b64: p.get("bytesBase64Encoded")?.as_str()?.to_string(),
                        mime: p
                            .get("mimeType")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    })
                })
                .collect();
            if out.is_empty() {
                let filtered =
                    preds.and_then(|a| a.iter().find_map(|p| p.get("raiFilteredReason")));
                return Err(no_image(reason("raiFilteredReason", filtered)));
            }
            out
        }
        ImageApi::NovaCanvas | ImageApi::Stability => {
            let out: Vec<Image> = strs("/images")
                .into_iter()
                .map(|b64| Image::Bytes { b64, mime: None })
                .collect();
            if out.is_empty() {
                let filtered = v
                    .get("finish_reasons")
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().find(|r| r.is_string()));
                let why = match v.get("error") {
                    Some(e) if e.is_string() => reason("error", Some(e)),
                    _ => reason("finish_reasons", filtered),
                };
                return Err(no_image(why));
            }
            out
        }
        ImageApi::Dashscope => {
            let mut out = Vec::new();
            for c in v
                .pointer("/output/choices")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for part in c
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(u) = part.get("image").and_then(Value::as_str) {
                        out.push(Image::Url(u.to_string()));
                    }
                }
            }
            if out.is_empty() {
                return Err(no_image(reason("message", v.get("message"))));
            }
            out
        }
    };
    let mut format = None;
    let data: Vec<Value> = images
        .into_iter()
        .map(|img| match img {
            Image::Url(u) => json!({ "url": u }),
            Image::Bytes { b64, mime } => {
                let mime = mime.unwrap_or_else(|| "image/png".to_string());
                if format.is_none() {
                    format = mime.strip_prefix("image/").map(str::to_string);
                }
                if want_url {
                    json!({ "url": format!("data:{mime};base64,{b64}") })
                } else {
                    json!({ "b64_json": b64 })
                }
            }
        })
        .collect();
    let mut out = json!({"created": created, "data": data});
    if let Some(o) = out.as_object_mut() {
        insert(o, "output_format", format.map(Value::from));
        insert(o, "usage", usage);
    }
    Ok(out)
}

/// Gemini's `usageMetadata` in the images API's usage shape (input text/image tokens).
fn gemini_usage(m: &Value) -> Value {
    let n = |k: &str| m.get(k).and_then(Value::as_u64).unwrap_or(0);
    let by_modality = |k: &str, modality: &str| {
        m.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|d| d.get("modality").and_then(Value::as_str) == Some(modality))
            .filter_map(|d| d.get("tokenCount").and_then(Value::as_u64))
            .sum::<u64>()
    };
    let input = n("promptTokenCount");
    let output = n("candidatesTokenCount");
    json!({
        "input_tokens": input,
        "input_tokens_details": {
            "text_tokens": by_modality("promptTokensDetails", "TEXT"),
            "image_tokens": by_modality("promptTokensDetails", "IMAGE"),
        },
        "output_tokens": output,
        "total_tokens": m.get("totalTokenCount").and_then(Value::as_u64).unwrap_or(input + output),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_aspect_ratio() {
        let r = |size: &str, allowed| {
            ImageRequest {
                size: Some(size.into()),
                ..ImageRequest::default()
            }
            .aspect(allowed)
        };
        for (size, gemini, imagen) in [
            ("1024x1024", "1:1", "1:1"),
            ("1536x1024", "3:2", "4:3"),
            ("1024x1536", "2:3", "3:4"),
            ("1792x1024", "16:9", "16:9"),
            ("1024x1792", "9:16", "9:16"),
        ] {
            assert_eq!(r(size, GEMINI_RATIOS), Some(gemini), "{size}");
            assert_eq!(r(size, IMAGEN_RATIOS), Some(imagen), "{size}");
        }
        assert_eq!(r("auto", GEMINI_RATIOS), None);
        assert_eq!(r("0x5", GEMINI_RATIOS), None);
    }

    #[test]
    fn bedrock_families() {
        assert_eq!(
            api(ProviderName::Bedrock, "amazon.nova-canvas-v1:0").ok(),
            Some(ImageApi::NovaCanvas)
        );
        assert_eq!(
            api(ProviderName::Bedrock, "us.stability.sd3-5-large-v1:0").ok(),
            Some(ImageApi::Stability)
        );
        assert!(api(ProviderName::Bedrock, "anthropic.claude-3-haiku").is_err());
        assert_eq!(
            api(ProviderName::Gemini, "models/imagen-4.0-generate-001").ok(),
            Some(ImageApi::Imagen)
        );
    }
}
