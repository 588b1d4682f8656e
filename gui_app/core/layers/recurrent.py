"""LSTM, GRU and RNN as blocks that fit in an ``nn.Sequential``.

``nn.LSTM`` returns ``(output, state)``, which the next layer of a Sequential cannot take. This
block keeps only the output, batch first, and passes on either the whole sequence or the last
step. The Python exporter copies this class's source into exported scripts, so it must depend on
nothing but torch.
"""

from torch import Tensor, nn


class RecurrentBlock(nn.Module):
    """An LSTM, GRU or RNN over (batch, time, features) that returns a tensor, not a tuple."""

    def __init__(
        self,
        kind: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        dropout: float = 0.0,
        bidirectional: bool = False,
        return_sequences: bool = False,
    ) -> None:
        super().__init__()
        cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind]
        self.kind = kind
        self.return_sequences = return_sequences
        self.rnn = cls(
            input_size,
            hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
        )

    def forward(self, x: Tensor) -> Tensor:
        output, _state = self.rnn(x)
        return output if self.return_sequences else output[:, -1]

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, return_sequences={self.return_sequences}"
