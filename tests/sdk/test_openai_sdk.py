"""The official `openai` Python SDK against ai-gateway + mock, under both host profiles: every
answer (chat, streaming chat, tool calls, embeddings) must parse without error."""

import pytest
from openai import OpenAI

from conftest import PROFILES

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}]

# Providers whose answers the filter translates back into OpenAI's shape.
CHAT_CONFIGS = {
    "openai": {"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer sk-test"},
               "model": {"provider": "openai", "name": "gpt-4o-mini"}},
    "azure": {"route_type": "llm/v1/chat", "auth": {"header_name": "api-key", "header_value": "az-test"},
              "model": {"provider": "azure", "name": "gpt-4o",
                        "options": {"azure_instance": "inst", "azure_deployment_id": "dep"}}},
    "anthropic": {"route_type": "llm/v1/chat", "auth": {"header_name": "x-api-key", "header_value": "sk-ant-test"},
                  "model": {"provider": "anthropic", "name": "claude-sonnet-4-5-20250929",
                            "options": {"anthropic_version": "2023-06-01", "max_tokens": 256}}},
    "gemini": {"route_type": "llm/v1/chat", "auth": {"param_name": "key", "param_value": "AIza-test", "param_location": "query"},
               "model": {"provider": "gemini", "name": "gemini-2.0-flash"}},
    "bedrock": {"route_type": "llm/v1/chat",
                "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                "model": {"provider": "bedrock", "name": "anthropic.claude-3-haiku-20240307-v1:0",
                          "options": {"bedrock": {"aws_region": "us-east-1"}}}},
    "cohere": {"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer co-test"},
               "model": {"provider": "cohere", "name": "command-r"}},
    "ollama": {"route_type": "llm/v1/chat", "model": {"provider": "ollama", "name": "llama3.2"}},
    "huggingface": {"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer hf_test"},
                    "model": {"provider": "huggingface", "name": "meta-llama/Llama-3.3-70B-Instruct"}},
}

EMBED_CONFIG = {"route_type": "llm/v1/embeddings", "auth": {"header_name": "Authorization", "header_value": "Bearer sk-test"},
                "model": {"provider": "openai", "name": "text-embedding-3-small"}}

TEXT = "Hello! How can I help you today?"


def model_of(provider):
    # Kong's ai-proxy refuses a request model other than the configured one.
    return CHAT_CONFIGS[provider]["model"]["name"]


def client(base):
    return OpenAI(base_url=base + "/v1", api_key="client-key-ignored", max_retries=0, timeout=30)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", sorted(CHAT_CONFIGS))
def test_chat(gateway, profile, provider):
    c = client(gateway(CHAT_CONFIGS[provider], profile))
    r = c.chat.completions.create(model=model_of(provider), messages=[{"role": "user", "content": "Hi"}])
    assert r.choices[0].message.content == TEXT
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.total_tokens > 0


def _stream_case(provider):
    # The filter's SSE frame decoder (src/stream/sse.rs) is still a stub on main, so streams
    # that need translation (every provider but openai) come back empty for now.
    marks = []
    return pytest.param(provider, marks=marks)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", [_stream_case(p) for p in sorted(CHAT_CONFIGS)])
def test_streaming_chat(gateway, profile, provider):
    c = client(gateway(CHAT_CONFIGS[provider], profile))
    stream = c.chat.completions.create(model=model_of(provider), messages=[{"role": "user", "content": "Hi"}],
                                       stream=True, stream_options={"include_usage": True})
    text, finish, usage = "", None, None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
    assert text == TEXT
    assert finish == "stop"
    assert usage is not None and usage.total_tokens > 0


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", sorted(CHAT_CONFIGS))
def test_tool_call(gateway, profile, provider):
    c = client(gateway(CHAT_CONFIGS[provider], profile))
    r = c.chat.completions.create(model=model_of(provider), messages=[{"role": "user", "content": "Weather in Paris?"}], tools=TOOLS)
    call = r.choices[0].message.tool_calls[0]
    assert r.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    assert "Paris" in call.function.arguments


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("provider", sorted(CHAT_CONFIGS))
def test_streaming_tool_call(gateway, profile, provider):
    c = client(gateway(CHAT_CONFIGS[provider], profile))
    stream = c.chat.completions.create(model=model_of(provider), messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=TOOLS, stream=True)
    name, args = "", ""
    for chunk in stream:
        for choice in chunk.choices:
            for tc in choice.delta.tool_calls or []:
                name += (tc.function.name or "") if tc.function else ""
                args += (tc.function.arguments or "") if tc.function else ""
    assert name == "get_weather"
    assert '"Paris"' in args


@pytest.mark.parametrize("profile", PROFILES)
def test_embeddings(gateway, profile):
    c = client(gateway(EMBED_CONFIG, profile))
    r = c.embeddings.create(model="text-embedding-3-small", input=["first", "second"])
    assert len(r.data) == 2
    assert all(len(d.embedding) > 0 for d in r.data)
