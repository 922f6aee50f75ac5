"""The official `openai` SDK on the route groups beyond chat (docs/routes.md), through
ai-gateway + mock under both host profiles: every answer must parse, binary answers must come
back byte for byte, multipart uploads must reach the upstream unchanged."""

import pytest
from openai import OpenAI

from conftest import PROFILES
from test_openai_sdk import CHAT_CONFIGS

AUTH = {"header_name": "Authorization", "header_value": "Bearer sk-test"}
TEXT = "Hello! How can I help you today?"
# The mock's canned bytes (tests/devhost/src/mock/routes.rs).
SPEECH_BYTES = bytes([0xFF, 0xFB, 0x90, 0x64, 0x00, 0x0F, 0xF0, 0x80, 0xFE, 0x01])
FILE_CONTENT = b'{"id":"batch_req_1","custom_id":"request-1","response":{"status_code":200}}\n'


def cfg(route, name=None, provider="openai"):
    model = {"provider": provider}
    if name:
        model["name"] = name
    if provider == "azure":
        model["options"] = {"azure_instance": "inst", "azure_deployment_id": "dep", "azure_api_version": "preview"}
        auth = {"header_name": "api-key", "header_value": "az-test"}
    else:
        auth = AUTH
    return {"route_type": route, "auth": auth, "model": model, "logging": {"log_statistics": True}}


def client(base):
    return OpenAI(base_url=base + "/v1", api_key="client-key-ignored", max_retries=0, timeout=30)


# Native Responses API (openai, azure) and Responses translated to chat (the others).
RESPONSES_PROVIDERS = ["openai", "azure", "anthropic", "gemini", "bedrock"]


def responses_cfg(provider):
    if provider in ("openai", "azure"):
        return cfg("llm/v1/responses", "gpt-4.1", provider)
    c = dict(CHAT_CONFIGS[provider])
    c["route_type"] = "llm/v1/responses"
    return c


def responses_model(provider):
    return responses_cfg(provider)["model"]["name"]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", RESPONSES_PROVIDERS)
def test_responses_create(gateway, profile, provider):
    c = client(gateway(responses_cfg(provider), profile))
    r = c.responses.create(model=responses_model(provider), input="Hi", instructions="Be brief.")
    assert r.output_text == TEXT
    assert r.usage.input_tokens > 0 and r.usage.output_tokens > 0


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", RESPONSES_PROVIDERS)
def test_responses_stream(gateway, profile, provider):
    c = client(gateway(responses_cfg(provider), profile))
    text, done = "", None
    for event in c.responses.create(model=responses_model(provider), input="Hi", stream=True):
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type == "response.completed":
            done = event.response
    assert text == TEXT
    assert done is not None and done.status == "completed"
    assert done.output_text == TEXT


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", ["anthropic", "gemini", "bedrock"])
def test_responses_function_call(gateway, profile, provider):
    c = client(gateway(responses_cfg(provider), profile))
    tools = [{"type": "function", "name": "get_weather", "description": "Current weather in a city",
              "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]
    r = c.responses.create(model=responses_model(provider), input="Weather in Paris?", tools=tools)
    calls = [o for o in r.output if o.type == "function_call"]
    assert calls and calls[0].name == "get_weather" and "Paris" in calls[0].arguments


@pytest.mark.parametrize("profile", PROFILES)
def test_audio_speech(gateway, profile):
    c = client(gateway(cfg("audio/v1/audio/speech", "tts-1"), profile))
    r = c.audio.speech.create(model="tts-1", voice="alloy", input="The quick brown fox.")
    assert r.content == SPEECH_BYTES


@pytest.mark.parametrize("profile", PROFILES)
def test_audio_transcription_multipart(gateway, profile):
    c = client(gateway(cfg("audio/v1/audio/transcriptions", "whisper-1"), profile))
    r = c.audio.transcriptions.create(model="whisper-1", file=("hello.mp3", SPEECH_BYTES * 100))
    assert r.text.startswith("Imagine")
    with pytest.raises(Exception) as e:
        c.audio.transcriptions.create(model="gpt-4o-transcribe", file=("hello.mp3", SPEECH_BYTES))
    assert "cannot use own model" in str(e.value)


@pytest.mark.parametrize("profile", PROFILES)
def test_images_generate(gateway, profile):
    c = client(gateway(cfg("image/v1/images/generations", "gpt-image-1"), profile))
    r = c.images.generate(model="gpt-image-1", prompt="A cute baby sea otter", n=1, size="1024x1024")
    assert r.data[0].b64_json == "aGVsbG8="


# Images translated to the provider's own API (docs/routes.md "Images on other providers");
# the mock answers each with IMAGE_B64 (or DASHSCOPE_IMAGE_URL), see mock/routes.rs.
IMAGE_B64 = "iVBORw0KGgo="
DASHSCOPE_IMAGE_URL = "https://dashscope-result.example/mock.png"
IMAGE_CONFIGS = {
    "gemini": {"route_type": "image/v1/images/generations",
               "auth": {"header_name": "x-goog-api-key", "header_value": "AIza-test"},
               "model": {"provider": "gemini", "name": "gemini-2.5-flash-image"}},
    "imagen": {"route_type": "image/v1/images/generations",
               "auth": {"header_name": "x-goog-api-key", "header_value": "AIza-test"},
               "model": {"provider": "gemini", "name": "imagen-4.0-generate-001"}},
    "bedrock": {"route_type": "image/v1/images/generations",
                "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                "model": {"provider": "bedrock", "name": "amazon.nova-canvas-v1:0",
                          "options": {"bedrock": {"aws_region": "us-east-1"}}}},
    "dashscope": {"route_type": "image/v1/images/generations",
                  "auth": {"header_name": "Authorization", "header_value": "Bearer sk-ds"},
                  "model": {"provider": "dashscope", "name": "qwen-image"}},
}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", list(IMAGE_CONFIGS))
def test_images_generate_translated(gateway, profile, provider):
    conf = IMAGE_CONFIGS[provider]
    c = client(gateway(conf, profile))
    r = c.images.generate(model=conf["model"]["name"], prompt="A cute baby sea otter", n=1, size="1024x1024")
    if provider == "dashscope":
        assert r.data[0].url == DASHSCOPE_IMAGE_URL
    else:
        assert r.data[0].b64_json == IMAGE_B64


@pytest.mark.parametrize("profile", PROFILES)
def test_images_edit_translated_for_gemini(gateway, profile):
    conf = dict(IMAGE_CONFIGS["gemini"], route_type="image/v1/images/edits")
    c = client(gateway(conf, profile))
    png = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    r = c.images.edit(model="gemini-2.5-flash-image", image=("in.png", png, "image/png"), prompt="Add a party hat")
    assert r.data[0].b64_json == IMAGE_B64


@pytest.mark.parametrize("profile", PROFILES)
def test_files_create_and_content(gateway, profile):
    c = client(gateway(cfg("llm/v1/files"), profile))
    f = c.files.create(file=("batch.jsonl", b'{"custom_id":"request-1"}\n'), purpose="batch")
    assert f.id == "file-abc123" and f.purpose == "batch"
    assert c.files.content(f.id).content == FILE_CONTENT


@pytest.mark.parametrize("profile", PROFILES)
def test_batches_create_and_retrieve(gateway, profile):
    c = client(gateway(cfg("llm/v1/batches"), profile))
    b = c.batches.create(input_file_id="file-abc123", endpoint="/v1/chat/completions", completion_window="24h")
    assert b.status == "validating"
    got = c.batches.retrieve(b.id)
    assert got.id == b.id and got.status == "completed"
    assert c.batches.cancel(b.id).status == "cancelling"


# OpenAI's video API on Gemini AI Studio's Veo (docs/routes.md "Video on Gemini"): the mock
# finishes every operation at once with the file VEO_FILE (tests/devhost/src/mock/routes.rs).
VIDEO_BYTES = bytes([0, 0, 0, 0x18]) + b"ftypmp42" + bytes([0xFF, 0xFE])
VEO_CFG = {"route_type": "video/v1/videos/generations",
           "auth": {"header_name": "x-goog-api-key", "header_value": "AIza-test"},
           "model": {"provider": "gemini", "name": "veo-3.0-generate-001"}}


@pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")
@pytest.mark.parametrize("profile", PROFILES)
def test_videos_create_poll_and_download_on_veo(gateway, profile):
    c = client(gateway(VEO_CFG, profile))
    v = c.videos.create_and_poll(model="veo-3.0-generate-001", prompt="A calico cat playing a piano",
                                 seconds="8", size="1280x720", poll_interval_ms=10)
    assert v.status == "completed" and v.progress == 100
    assert v.seconds == "8" and v.size == "1280x720" and v.model == "veo-3.0-generate-001"
    assert c.videos.download_content(v.id).content == VIDEO_BYTES


# The same on Vertex AI's Veo (docs/routes.md "Video on Vertex AI"): the create is forwarded,
# a retrieve or download is a :fetchPredictOperation call the filter makes itself, answered
# with the video inline. Its target: the real Envoy's cluster `mock`; on the other hosts the
# mock's host:port (a Kong dispatch target; the emulators send calls to their upstream).
def vertex_video_cfg(profile, mock_url):
    target = "mock" if profile == "envoy-real" else mock_url.split("://", 1)[1]
    return {"route_type": "video/v1/videos/generations",
            "auth": {"header_name": "Authorization", "header_value": "Bearer ya29.sdk-test"},
            "model": {"provider": "gemini", "name": "veo-3.0-generate-001",
                      "options": {"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                                             "project_id": "sdk-project", "location_id": "us-central1",
                                             "vertex_cluster": target}}}}


@pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")
@pytest.mark.parametrize("profile", PROFILES)
def test_videos_create_poll_and_download_on_vertex_veo(gateway, profile, mock_url):
    c = client(gateway(vertex_video_cfg(profile, mock_url), profile))
    v = c.videos.create_and_poll(model="veo-3.0-generate-001", prompt="A calico cat playing a piano",
                                 seconds="8", size="1280x720", poll_interval_ms=10)
    assert v.status == "completed" and v.progress == 100
    assert v.seconds == "8" and v.size == "1280x720" and v.model == "veo-3.0-generate-001"
    content = c.videos.download_content(v.id).content
    # ngx_wasm_module ends a local reply's body with a line feed (docs/hosts.md §10).
    assert content == VIDEO_BYTES + (b"\n" if profile in ("nginx", "kong") else b"")
    assert c.videos.retrieve(v.id).status == "completed"


@pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")
@pytest.mark.parametrize("profile", PROFILES)
def test_videos_create_with_input_reference_on_veo(gateway, profile):
    c = client(gateway(VEO_CFG, profile))
    png = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    v = c.videos.create(prompt="She turns around", input_reference=("first.png", png, "image/png"))
    assert v.status == "in_progress" and v.seconds == "4" and v.size == "720x1280"
