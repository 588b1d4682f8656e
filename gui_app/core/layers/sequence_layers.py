"""Catalogue entries for sequences: a plain RNN, token embeddings and attention.

Sequences are (time × features) samples, batch first, as the LSTM and GRU blocks take them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from gui_app.core.layers.definitions import (
    MAX_SIZE,
    LayerType,
    ParamDef,
    ParamError,
    Shape,
    flag_param,
    last_dim,
    recurrent_summary,
    size_param,
)
from gui_app.core.layers.recurrent import RecurrentBlock
from gui_app.core.layers.sequence_blocks import SelfAttention, TokenEmbedding


def _heads_divide(size_key: str, heads_key: str, default_heads: int):
    """Infer ``size_key`` from the last dimension and check that the heads divide it."""

    def infer(shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
        size, heads = shape[-1], given.get(heads_key, default_heads)
        if size % heads:
            raise ParamError(f"{heads_key} ({heads}) must divide the {size} features of each step")
        return {size_key: size}

    return infer


def _embedding_infer(_shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    index = given.get("padding_idx")
    count = given.get("num_embeddings", 1000)
    if index is not None and not -count <= index < count:
        raise ParamError(f"padding_idx ({index}) must be a token id below num_embeddings ({count})")
    return {}


def _embedding_summary(_layer: LayerType, params: Mapping[str, Any]) -> str:
    return f"{params.get('num_embeddings', '?')} → {params.get('embedding_dim', '?')}"


def _recurrent(kind: str, description: str) -> LayerType:
    return LayerType(
        kind,
        "Recurrent",
        description,
        (
            size_param("input_size", inferred=True),
            size_param("hidden_size", 64),
            ParamDef("num_layers", "int", 1, 1, 64),
            flag_param("bias", True),
            ParamDef("dropout", "float", 0.0, 0.0, 1.0),
            flag_param("bidirectional", False),
            flag_param("return_sequences", False, "pass on the whole output sequence, not only the last step"),
        ),
        infer=last_dim("input_size"),
        module_class=RecurrentBlock,
        fixed={"kind": kind},
        input_ndim=(2,),
        key_params=("hidden_size",),
        summarise=recurrent_summary,
    )


LAYERS: tuple[LayerType, ...] = (
    _recurrent("LSTM", "Long short-term memory over (time × features) sequences."),
    _recurrent("GRU", "Gated recurrent unit over (time × features) sequences."),
    _recurrent("RNN", "Plain (Elman) recurrent layer over (time × features) sequences."),
    LayerType(
        "Embedding",
        "Attention and embedding",
        "Looks up a learned vector for each whole-number token id (ids below num_embeddings).",
        (
            size_param("num_embeddings", 1000),
            size_param("embedding_dim", 64),
            ParamDef("padding_idx", "int", None, -MAX_SIZE, MAX_SIZE, nullable=True),
        ),
        infer=_embedding_infer,
        module_class=TokenEmbedding,
        key_params=("embedding_dim",),
        summarise=_embedding_summary,
    ),
    LayerType(
        "TransformerEncoderLayer",
        "Attention and embedding",
        "Self-attention then a feed-forward network, each with a residual and LayerNorm.",
        (
            size_param("d_model", inferred=True),
            ParamDef("nhead", "int", 4, 1, 1024, doc="attention heads; must divide d_model"),
            size_param("dim_feedforward", 512),
            ParamDef("dropout", "float", 0.1, 0.0, 1.0),
            ParamDef("activation", "choice", "relu", choices=("relu", "gelu")),
            ParamDef("layer_norm_eps", "float", 1e-5, 1e-12, 1.0),
            flag_param("norm_first", False, "LayerNorm before attention (pre-norm), often more stable"),
            flag_param("bias", True),
        ),
        infer=_heads_divide("d_model", "nhead", 4),
        module_class=nn.TransformerEncoderLayer,
        fixed={"batch_first": True},
        input_ndim=(2,),
        key_params=("nhead",),
    ),
    LayerType(
        "SelfAttention",
        "Attention and embedding",
        "Multi-head self-attention alone: each step becomes a weighted mix of all steps.",
        (
            size_param("embed_dim", inferred=True),
            ParamDef("num_heads", "int", 4, 1, 1024, doc="attention heads; must divide the features"),
            ParamDef("dropout", "float", 0.0, 0.0, 1.0),
            flag_param("bias", True),
        ),
        infer=_heads_divide("embed_dim", "num_heads", 4),
        module_class=SelfAttention,
        input_ndim=(2,),
        key_params=("num_heads",),
    ),
)
