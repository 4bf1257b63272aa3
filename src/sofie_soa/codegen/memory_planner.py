"""The memory planner pass: after lowering, the intermediate tensors of a session share one workspace, their
offsets planned at compile time over their lifetimes.

Sizes are symbolic in the element count n, in bytes. Every intermediate is either a*n bytes (it has the element
dimension) or b bytes (it does not; a size of N² cannot arise, compiler/symbolic.py), so the workspace is two
arenas planned apart: a fixed arena of bytes (each block a multiple of 64 bytes), followed by a per-element
arena in units of n bytes (each block a multiple of 8: every element type stays aligned). A tensor's offset is
then linear in n — b_offset, or (a_offset * n + B) — and resolved at run time.

Each arena is planned best-fit with coalescing of free blocks, walking the launches in order: at launch t the
blocks first used at t are placed (the smallest free block that fits, else at the top, extending a free block
that touches it), then the blocks last used at t are freed. An element-wise launch (unary; binary whose operand
has the output's shape) writes in place over an operand it is the last user of: out[i] depends on in[i] only.
"""

from __future__ import annotations

from sofie_soa.codegen.lowering import Plan, reads, written

FIXED_ALIGNMENT = 64         # bytes
ELEMENT_ALIGNMENT = 8        # bytes per element of the per-element arena


def plan_offsets(blocks: list[tuple[int, int, int]]) -> tuple[list[int], int]:
    """Offsets for blocks (size, first, last) — alive from launch `first` to launch `last`, inclusive — and the
    arena's peak size. Blocks alive at the same launch never overlap; the peak is at most the sum of sizes."""
    offsets = [0] * len(blocks)
    free: list[list[int]] = []        # [offset, size], sorted by offset, coalesced
    top = 0
    events = sorted({b[1] for b in blocks} | {b[2] for b in blocks})
    for t in events:
        for i, (size, first, _) in enumerate(blocks):
            if first != t or size == 0:
                continue
            fits = [f for f in free if f[1] >= size]
            if fits:
                best = min(fits, key=lambda f: (f[1], f[0]))
                offsets[i] = best[0]
                best[0] += size
                best[1] -= size
                if best[1] == 0:
                    free.remove(best)
            elif free and free[-1][0] + free[-1][1] == top:
                offsets[i] = free.pop()[0]
                top = offsets[i] + size
            else:
                offsets[i] = top
                top += size
        for i, (size, _, last) in enumerate(blocks):
            if last == t and size:
                _release(free, offsets[i], size)
    return offsets, top


def _release(free: list[list[int]], offset: int, size: int) -> None:
    free.append([offset, size])
    free.sort()
    merged = [free[0]]
    for block in free[1:]:
        if merged[-1][0] + merged[-1][1] == block[0]:
            merged[-1][1] += block[1]
        else:
            merged.append(block)
    free[:] = merged


def _in_place_operands(launch) -> list:
    """Operands the output of this launch may overwrite: out[i] reads operand[i] only (same strides and offset in
    the index map, same element size)."""
    if launch.kernel != "map":
        return []
    m, out = launch.args["map"], launch.args["out"]
    return [ref for t, ref in enumerate(launch.args["ins"], start=1)
            if m.strides[t] == m.strides[0] and m.offsets[t] == m.offsets[0] and ref.shape == out.shape
            and _itemsize(ref) == _itemsize(out)]


def _itemsize(ref) -> int:
    from sofie_soa.compiler.dtypes import itemsize
    return itemsize(ref.dtype)


def _round(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def plan_memory(plan: Plan) -> Plan:
    """Assigns every workspace Storage of `plan` its offset and sets plan.workspace = (A, B): A * n + B bytes."""
    first, last = {}, {}
    for t, launch in enumerate(plan.launches):
        for ref in reads(launch) + written(launch):
            if ref.storage.kind == "workspace":
                first.setdefault(id(ref.storage), t)
                last[id(ref.storage)] = t
    storages = {id(s): s for s in plan.buffers}
    # In-place: the output joins its operand's block (one block, the union of both lifetimes).
    owner = {key: key for key in storages}
    for t, launch in enumerate(plan.launches):
        outputs = written(launch)
        y = outputs[0].storage
        if len(outputs) > 1 or y.kind != "workspace" or first.get(id(y)) != t:
            continue
        for ref in _in_place_operands(launch):
            s = ref.storage
            root = owner[id(s)] if s.kind == "workspace" else None
            if root is not None and last[root] == t and storages[root].size == y.size:
                owner[id(y)] = root
                last[root] = last[id(y)]
                break
    roots = [key for key in storages if owner[key] == key and key in first]
    per_element = [key for key in roots if storages[key].size[0]]
    fixed = [key for key in roots if not storages[key].size[0]]
    offsets, b = plan_offsets([(_round(storages[k].size[1], FIXED_ALIGNMENT), first[k], last[k]) for k in fixed])
    for key, offset in zip(fixed, offsets):
        storages[key].offset = (0, offset)
    offsets, a = plan_offsets([(_round(storages[k].size[0], ELEMENT_ALIGNMENT), first[k], last[k])
                               for k in per_element])
    for key, offset in zip(per_element, offsets):
        storages[key].offset = (offset, b)
    for key, storage in storages.items():
        storage.offset = storages[owner[key]].offset
    plan.workspace = (a, b)
    return plan


def memory_report(plan: Plan, n: int) -> dict:
    """The workspace for element count n: planned_bytes (the planned workspace), naive_bytes (every intermediate
    tensor after fusion in its own buffer, aligned as the planner aligns them) and per tensor its offset and size in
    bytes."""
    at = lambda ab: ab[0] * n + ab[1]  # noqa: E731
    aligned = lambda ab: (_round(ab[0], ELEMENT_ALIGNMENT), _round(ab[1], FIXED_ALIGNMENT))  # noqa: E731
    tensors = {name: {"offset_bytes": at(ref.storage.offset), "bytes": at(ref.storage.size)}
               for name, ref in plan.tensors.items() if ref.storage.kind == "workspace"}
    return {"n": n, "planned_bytes": at(plan.workspace),
            "naive_bytes": sum(at(aligned(s.size)) for s in plan.buffers), "tensors": tensors}

