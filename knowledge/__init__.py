"""What the bot knows: data files under this folder and the code that loads and queries them."""

from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.yamlfile import KnowledgeError

__all__ = ["KnowledgeBase", "KnowledgeError", "load_knowledge"]
