"""Blocks for sequences that torch has no ``nn.Sequential``-ready module for.

The Python exporter copies these classes' source into exported scripts, so they must depend on
nothing but torch.
"""

from torch import Tensor, nn


class TokenEmbedding(nn.Embedding):
    """An embedding that takes its token ids as any number type, so it can follow a dataset
    of floats (values are truncated to whole ids) and keeps ``nn.Embedding``'s weight name."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.long())


class SelfAttention(nn.Module):
    """Multi-head self-attention over (batch, time, features): every step attends to all steps."""

    def __init__(self, embed_dim: int, num_heads: int = 4, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout, bias=bias, batch_first=True)

    def forward(self, x: Tensor) -> Tensor:
        output, _weights = self.attention(x, x, x, need_weights=False)
        return output
