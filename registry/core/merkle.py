"""Compute, prove and verify the RFC 6962 / RFC 9162 Merkle tree over Ikrar's transparency log.

Storage model. The server stores the hash of every *complete* subtree: node
``(level, index)`` is the Merkle tree hash (MTH) of leaves
``[index * 2**level, (index + 1) * 2**level)``; level-0 nodes are leaf hashes. Such a node
never changes once it exists, so rows are insert-only. Every proof or root for any tree
size is composed from O(log n) stored nodes.

The ``fetch`` contract. Functions that read stored nodes take
``fetch(keys) -> mapping``. Each public call first works out every key it needs, then
calls ``fetch`` exactly once with those keys (deduplicated), then composes the result, so
the server answers with one SQL query. A call that needs no stored node at all (root of
the empty tree, inclusion proof in a one-leaf tree, consistency proof between equal
sizes, appending at an even position) does not call ``fetch``; ``fetch`` is never called
with an empty key list. A key missing from the answer, or a value that is not a 32-byte
hash, raises ``ProofError``.

Verification edge-case policy (the same as transparency-dev/merkle):

- Inclusion: ``0 <= index < size`` is required. The leaf hash, the root and every proof
  hash must be exactly 32 bytes. The proof must have exactly the number of hashes the
  RFC 9162 §2.1.3.2 bit-walk consumes for ``(index, size)``; one too many or too few is
  rejected. A one-leaf tree has an empty proof and its root equals the leaf hash.
- Consistency from ``old_size`` to ``new_size``:
  ``old_size == 0`` is rejected, whatever ``new_size``, the roots and the proof are: every
  tree extends the empty tree, so such a proof proves nothing and a caller asking for one
  has a bug (C2SP would accept an empty proof here; Ikrar deliberately does not).
  ``old_size > new_size`` is rejected. ``old_size == new_size`` requires an empty proof
  and byte-identical roots (no further check of the roots, as upstream does).
  ``0 < old_size < new_size`` runs the RFC 9162 §2.1.4.2 bit-walk: the proof must be
  non-empty, have exactly the expected length, contain only 32-byte hashes, and rebuild
  both 32-byte roots.
- Sizes and indices are Python ints, so values beyond 2**63 (which the upstream test
  vectors use) work; negative values are rejected.
- A proof binds the tree size only through its shape (which hashes go left or right);
  the size itself is authenticated by the signed checkpoint that carries the root.

Verifiers raise ``ProofError`` and return ``None`` on success. Proof *generation* raises
``ValueError`` for arguments outside the policy above (a caller bug, not hostile input).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from registry.core.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Fetch",
    "Frontier",
    "NodeKey",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "subtree_keys",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]
"""``(level, index)`` of a complete subtree; see the module docstring."""

Fetch = Callable[[Sequence[NodeKey]], Mapping[NodeKey, bytes]]
"""Returns the stored hash of every requested complete-subtree node."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return k, the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """Decompose the leaf range ``[start, end)`` into complete-subtree node keys.

    The keys come left to right with strictly decreasing sizes (one per set bit of
    ``end - start``), so the MTH of the range is the right fold
    ``node(k0, node(k1, ... node(k_{j-1}, k_j)))`` of their hashes. This holds for every
    range the RFC 6962 recursion produces; any other range is refused with ``ValueError``
    because its MTH is not a fold of stored nodes. An empty range gives ``[]``.
    """
    if start < 0 or end < start:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    n = end - start
    if n == 0:
        return []
    top = n.bit_length() - 1
    if start % (1 << top):
        # Only aligned ranges decompose into subtrees that are also the range's own MTH
        # structure; [1, 4) for example would need an unaligned node.
        raise ValueError(f"leaf range [{start}, {end}) is not aligned to its largest subtree")
    keys: list[NodeKey] = []
    offset = start
    for level in range(top, -1, -1):
        if (n >> level) & 1:
            keys.append((level, offset >> level))
            offset += 1 << level
    return keys


def _fold(hashes: Sequence[bytes]) -> bytes:
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def _fetch_all(fetch: Fetch, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
    unique = list(dict.fromkeys(keys))
    answer = fetch(unique)
    found: dict[NodeKey, bytes] = {}
    for key in unique:
        value = answer.get(key)
        if value is None:
            raise ProofError(f"stored Merkle node {key} is missing")
        if not isinstance(value, bytes | bytearray | memoryview) or len(value) != HASH_SIZE:
            raise ProofError(f"stored Merkle node {key} is not a {HASH_SIZE}-byte hash")
        found[key] = bytes(value)
    return found


def _compose(groups: Sequence[Sequence[NodeKey]], fetch: Fetch) -> list[bytes]:
    """Fetch every key of every group in one call, then fold each group to one hash."""
    all_keys = [key for group in groups for key in group]
    if not all_keys:
        return []
    found = _fetch_all(fetch, all_keys)
    return [_fold([found[key] for key in group]) for group in groups]


def root_hash(size: int, fetch: Fetch) -> bytes:
    """Return the root of the tree of the first ``size`` leaves.

    ``size == 0`` returns ``EMPTY_ROOT`` without calling ``fetch``.
    """
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")
    if size == 0:
        return EMPTY_ROOT
    return _compose([subtree_keys(0, size)], fetch)[0]


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    """Return RFC 6962 ``PATH(index, D[size])``, from the leaf's sibling up to the root's child."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    groups: list[list[NodeKey]] = []
    lo, hi = 0, size
    # Walk the recursion top-down; the RFC lists the proof bottom-up, hence the reverse.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            groups.append(subtree_keys(lo + k, hi))
            hi = lo + k
        else:
            groups.append(subtree_keys(lo, lo + k))
            lo += k
    groups.reverse()
    return _compose(groups, fetch)


def consistency_proof(old_size: int, new_size: int, fetch: Fetch) -> list[bytes]:
    """Return RFC 6962 ``SUBPROOF(old_size, D[new_size], true)``; ``[]`` for equal sizes."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    groups: list[list[NodeKey]] = []
    lo, hi = 0, new_size
    whole_old_tree = True  # the RFC's flag b: still inside the subtree that is the old tree
    while hi != old_size:
        k = _split(hi - lo)
        if old_size - lo <= k:
            groups.append(subtree_keys(lo + k, hi))
            hi = lo + k
        else:
            groups.append(subtree_keys(lo, lo + k))
            lo += k
            whole_old_tree = False
    if not whole_old_tree:
        groups.append(subtree_keys(lo, hi))
    groups.reverse()
    return _compose(groups, fetch)


def _check_hash(what: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes")


def _completed_nodes(
    size: int, new_leaf_hash: bytes, left_siblings: Sequence[bytes]
) -> list[tuple[int, int, bytes]]:
    """Nodes completed by appending leaf ``size``; ``left_siblings[l]`` is the level-l sibling."""
    nodes = [(0, size, new_leaf_hash)]
    h = new_leaf_hash
    for level, left in enumerate(left_siblings, start=1):
        h = node_hash(left, h)
        nodes.append((level, size >> level, h))
    return nodes


def _trailing_ones(n: int) -> int:
    return (~n & (n + 1)).bit_length() - 1


@dataclass(frozen=True)
class Frontier:
    """The roots of the perfect subtrees that make up a tree of ``size`` leaves.

    ``hashes`` runs left to right with decreasing subtree sizes, one hash per set bit of
    ``size`` (so at most 64 for any realistic log). It is everything needed to compute the
    root and to append, so the server keeps it in one column instead of reading nodes.
    Instances are immutable; ``append`` returns a new frontier.
    """

    size: int
    hashes: tuple[bytes, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"tree size must be >= 0, got {self.size}")
        hashes = tuple(self.hashes)
        if len(hashes) != self.size.bit_count():
            raise ValueError(
                f"a tree of size {self.size} has {self.size.bit_count()} frontier hashes, got {len(hashes)}"
            )
        for h in hashes:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise ValueError(f"frontier hashes must be {HASH_SIZE} bytes")
        # Accept any sequence from callers but keep the dataclass hashable and immutable.
        object.__setattr__(self, "hashes", hashes)

    @classmethod
    def empty(cls) -> Frontier:
        """Return the frontier of the empty tree."""
        return cls(0, ())

    @classmethod
    def load(cls, size: int, fetch: Fetch) -> Frontier:
        """Rebuild the frontier of ``size`` from stored nodes (one ``fetch``, none for 0)."""
        keys = subtree_keys(0, size)
        found = _fetch_all(fetch, keys) if keys else {}
        return cls(size, tuple(found[key] for key in keys))

    def node_keys(self) -> list[NodeKey]:
        """Return the stored-node keys of ``hashes``, in the same order."""
        return subtree_keys(0, self.size)

    def root(self) -> bytes:
        """Return the Merkle tree hash of the whole tree."""
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT

    def append(self, new_leaf_hash: bytes) -> tuple[Frontier, list[tuple[int, int, bytes]]]:
        """Append one leaf hash; return the new frontier and the nodes it completed.

        The nodes are the new leaf, then each parent it completes, bottom-up, as
        ``(level, index, hash)``; computed from the frontier alone, without reading storage.
        """
        if not isinstance(new_leaf_hash, bytes) or len(new_leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes")
        merged = _trailing_ones(self.size)
        # The smallest subtrees, one per trailing 1-bit of size, are exactly the left
        # siblings that the new leaf completes; they merge into one subtree.
        keep = len(self.hashes) - merged
        left_siblings = self.hashes[keep:][::-1]
        nodes = _completed_nodes(self.size, new_leaf_hash, left_siblings)
        return Frontier(self.size + 1, (*self.hashes[:keep], nodes[-1][2])), nodes

    def to_bytes(self) -> bytes:
        """Return the hashes concatenated; the size is stored beside them."""
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        """Inverse of ``to_bytes`` for a tree of ``size`` leaves."""
        if len(data) != HASH_SIZE * max(size, 0).bit_count():
            raise ValueError(f"{len(data)} bytes is not the frontier of a tree of size {size}")
        return cls(size, tuple(data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)))


class Fold:
    """The Merkle root of a stream of leaf hashes, folded as they come (the auditor's walk).

    The same tree as :class:`Frontier` without its checks and copies per leaf: one mutable
    stack of ``(height, hash)`` for the complete subtrees, one SHA-256 per interior node.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []

    def append(self, leaf: bytes) -> None:
        node, height, stack = leaf, 0, self._stack
        while stack and stack[-1][0] == height:
            node = hashlib.sha256(b"\x01" + stack.pop()[1] + node).digest()
            height += 1
        stack.append((height, node))

    def root(self) -> bytes:
        """The root of the leaves appended so far (RFC 6962 MTH)."""
        return _fold([node for _, node in self._stack]) if self._stack else EMPTY_ROOT


def _check_count(what: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProofError(f"{what} must be a non-negative integer")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    RFC 9162 §2.1.3.2. Raises ``ProofError``; returns ``None`` when the proof holds.
    """
    _check_count("leaf index", index)
    _check_count("tree size", size)
    if index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root)
    # The expected length is known in advance; checking it first keeps hostile proofs
    # from costing more than one comparison.
    inner = (index ^ (size - 1)).bit_length()
    expected = inner + (index >> inner).bit_count()
    if len(proof) != expected:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, expected {expected}")
    for i, p in enumerate(proof):
        _check_hash(f"proof hash {i}", p)

    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends the one of ``old_size``.

    RFC 9162 §2.1.4.2, with the edge-case policy of the module docstring. Raises
    ``ProofError``; returns ``None`` when the proof holds.
    """
    _check_count("old tree size", old_size)
    _check_count("new tree size", new_size)
    if old_size == 0:
        raise ProofError("consistency with the empty tree is not checked (old size is 0)")
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is larger than new tree size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("trees of equal size have different roots")
        return
    _check_hash("old root hash", old_root)
    _check_hash("new root hash", new_root)
    if not proof:
        raise ProofError("consistency proof is empty")

    # Length check first, as in verify_inclusion: the RFC walk consumes exactly the hashes
    # along the path of leaf old_size - 1, minus those inside the old tree's largest
    # complete subtree on that path, plus that subtree's root unless it is the old tree.
    shift = (old_size & -old_size).bit_length() - 1
    inner = ((old_size - 1) ^ (new_size - 1)).bit_length()
    border = ((old_size - 1) >> inner).bit_count()
    seeded = old_size == 1 << shift
    expected = (0 if seeded else 1) + (inner - shift) + border
    if len(proof) != expected:
        raise ProofError(f"consistency proof has {len(proof)} hashes, expected {expected}")
    for i, p in enumerate(proof):
        _check_hash(f"proof hash {i}", p)

    path = [old_root, *proof] if seeded else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root hash")
