"""The official `anthropic` Python SDK against ai-gateway + mock (`llm_format: anthropic`: the
client speaks Anthropic's Messages API), under both host profiles: Anthropic itself (native
pass-through) and every provider the mock speaks behind the Messages ingress
(docs/claude-code.md)."""

import pytest
from anthropic import Anthropic

from conftest import PROFILES

AWS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}


def _cfg(provider, model, auth=None, options=None):
    c = {"route_type": "llm/v1/chat", "llm_format": "anthropic",
         "model": {"provider": provider, "name": model, "options": options or {}}}
    if auth:
        c["auth"] = auth
    return c


CONFIGS = {
    "anthropic": _cfg("anthropic", "claude-sonnet-4-5-20250929", {"header_name": "x-api-key", "header_value": "sk-ant-test"},
                      {"anthropic_version": "2023-06-01"}),
    "openai": _cfg("openai", "gpt-4.1", {"header_name": "Authorization", "header_value": "Bearer sk-test"}),
    "azure": _cfg("azure", "gpt-4.1", {"header_name": "api-key", "header_value": "az-test"},
                  {"azure_instance": "inst", "azure_deployment_id": "gpt-4.1", "azure_api_version": "2024-12-01-preview"}),
    "gemini": _cfg("gemini", "gemini-2.5-flash", {"param_name": "key", "param_value": "AIza-test", "param_location": "query"}),
    "vertex": _cfg("gemini", "gemini-2.5-pro", {"header_name": "Authorization", "header_value": "Bearer ya29.test"},
                   {"gemini": {"api_endpoint": "us-east5-aiplatform.googleapis.com", "project_id": "proj", "location_id": "us-east5"}}),
    "bedrock": _cfg("bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0", AWS, {"bedrock": {"aws_region": "us-east-1"}}),
    "ollama": _cfg("ollama", "qwen3-coder:30b", None, {"upstream_url": "http://localhost:11434"}),
    "cohere": _cfg("cohere", "command-a-03-2025", {"header_name": "Authorization", "header_value": "Bearer co-test"}),
    "deepseek": _cfg("deepseek", "deepseek-chat", {"header_name": "Authorization", "header_value": "Bearer sk-ds"}),
    "huggingface": _cfg("huggingface", "meta-llama/Llama-3.3-70B-Instruct",
                        {"header_name": "Authorization", "header_value": "Bearer hf_test"}),
}

TOOLS = [{"name": "get_weather", "description": "Current weather in a city",
          "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]

TEXT = "Hello! How can I help you today?"


def client(base):
    return Anthropic(base_url=base, api_key="client-key-ignored", max_retries=0, timeout=30)


def model_of(provider):
    return CONFIGS[provider]["model"]["name"]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", sorted(CONFIGS))
def test_messages(gateway, profile, provider):
    r = client(gateway(CONFIGS[provider], profile)).messages.create(
        model=model_of(provider), max_tokens=256, messages=[{"role": "user", "content": "Hi"}])
    assert r.content[0].text == TEXT
    assert r.stop_reason == "end_turn"
    assert r.usage.output_tokens > 0
    assert r.usage.input_tokens > 0


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", sorted(CONFIGS))
def test_streaming_messages(gateway, profile, provider):
    with client(gateway(CONFIGS[provider], profile)).messages.stream(
            model=model_of(provider), max_tokens=256, messages=[{"role": "user", "content": "Hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == TEXT
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("profile", PROFILES)
def test_tool_use(gateway, profile):
    r = client(gateway(CONFIGS["anthropic"], profile)).messages.create(
        model=model_of("anthropic"), max_tokens=256, tools=TOOLS, messages=[{"role": "user", "content": "Weather in Paris?"}])
    tool = [b for b in r.content if b.type == "tool_use"][0]
    assert r.stop_reason == "tool_use"
    assert tool.name == "get_weather"
    assert tool.input == {"location": "Paris"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", sorted(CONFIGS))
def test_streamed_tool_round_trip(gateway, profile, provider):
    """What Claude Code does: a streamed turn that calls a tool, the tool's result sent back
    (with the tools again), and a streamed final answer; usage reported on both turns."""
    c = client(gateway(CONFIGS[provider], profile))
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    with c.messages.stream(model=model_of(provider), max_tokens=256, tools=TOOLS, messages=messages) as stream:
        first = stream.get_final_message()
    assert first.stop_reason == "tool_use"
    tool = [b for b in first.content if b.type == "tool_use"][0]
    assert tool.name == "get_weather"
    assert tool.input == {"location": "Paris"}
    assert first.usage.output_tokens > 0
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "18°C, clear"}]},
    ]
    with c.messages.stream(model=model_of(provider), max_tokens=256, tools=TOOLS, messages=messages) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == TEXT
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens > 0 and final.usage.output_tokens > 0


@pytest.mark.parametrize("profile", PROFILES)
def test_count_tokens_outside_anthropic_is_a_clear_404(gateway, profile):
    import anthropic
    c = client(gateway(CONFIGS["openai"], profile))
    with pytest.raises(anthropic.NotFoundError) as e:
        c.messages.count_tokens(model=model_of("openai"), messages=[{"role": "user", "content": "Hi"}])
    assert "count_tokens" in str(e.value)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", ["bedrock", "gemini", "vertex"])
def test_count_tokens_from_the_providers_counting_api(gateway, profile, provider):
    c = client(gateway(CONFIGS[provider], profile))
    r = c.messages.count_tokens(model=model_of(provider), tools=TOOLS,
                                messages=[{"role": "user", "content": "Weather in Paris?"}])
    assert r.input_tokens > 0
