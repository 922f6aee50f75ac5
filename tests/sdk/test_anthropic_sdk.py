"""The official `anthropic` Python SDK against ai-gateway + mock (`llm_format: anthropic`: the
client speaks Anthropic's Messages API), under both host profiles."""

import pytest
from anthropic import Anthropic

from conftest import PROFILES

CONFIG = {"route_type": "llm/v1/chat", "llm_format": "anthropic",
          "auth": {"header_name": "x-api-key", "header_value": "sk-ant-test"},
          "model": {"provider": "anthropic", "name": "claude-sonnet-4-5-20250929", "options": {"anthropic_version": "2023-06-01"}}}

TOOLS = [{"name": "get_weather", "description": "Current weather in a city",
          "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]

TEXT = "Hello! How can I help you today?"


def client(base):
    return Anthropic(base_url=base, api_key="client-key-ignored", max_retries=0, timeout=30)


@pytest.mark.parametrize("profile", PROFILES)
def test_messages(gateway, profile):
    r = client(gateway(CONFIG, profile)).messages.create(
        model="claude-sonnet-4-5-20250929", max_tokens=256, messages=[{"role": "user", "content": "Hi"}])
    assert r.content[0].text == TEXT
    assert r.stop_reason == "end_turn"
    assert r.usage.output_tokens > 0


@pytest.mark.parametrize("profile", PROFILES)
def test_streaming_messages(gateway, profile):
    with client(gateway(CONFIG, profile)).messages.stream(
            model="claude-sonnet-4-5-20250929", max_tokens=256, messages=[{"role": "user", "content": "Hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == TEXT
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize("profile", PROFILES)
def test_tool_use(gateway, profile):
    r = client(gateway(CONFIG, profile)).messages.create(
        model="claude-sonnet-4-5-20250929", max_tokens=256, tools=TOOLS, messages=[{"role": "user", "content": "Weather in Paris?"}])
    tool = [b for b in r.content if b.type == "tool_use"][0]
    assert r.stop_reason == "tool_use"
    assert tool.name == "get_weather"
    assert tool.input == {"location": "Paris"}
