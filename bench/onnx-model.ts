/**
 * A minimal ONNX ModelProto writer: just the protobuf fields needed for a one-node graph
 * (field numbers from onnx/onnx.proto). No dependencies, so Deno can run it without npm.
 */

/** ONNX TensorProto.DataType values used here. */
export const OnnxType = { FLOAT: 1, FLOAT16: 10 } as const;

export interface OnnxValue { name: string; elemType: number; dims: (number | string)[] }
export interface OnnxAttr { name: string; int?: number; float?: number }
export interface OnnxNode { opType: string; domain?: string; inputs: string[]; outputs: string[]; attrs?: OnnxAttr[] }
export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** domain -> opset version; '' is the default ONNX domain. */
  opsets: Record<string, number>;
  irVersion?: number;
}

const enc = new TextEncoder();

/** Protobuf writer: varints, length-delimited fields and fixed32 floats. */
class Pb {
  private bytes: number[] = [];
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) { this.bytes.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    this.bytes.push(Number(x));
  }
  private key(field: number, wire: number): void { this.varint((field << 3) | wire); }
  int(field: number, v: number): this { this.key(field, 0); this.varint(v); return this; }
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.bytes.push(...b);
    return this;
  }
  bytesField(field: number, b: Uint8Array): this { this.key(field, 2); this.varint(b.length); this.bytes.push(...b); return this; }
  str(field: number, s: string): this { return this.bytesField(field, enc.encode(s)); }
  msg(field: number, m: Pb): this { return this.bytesField(field, m.finish()); }
  finish(): Uint8Array { return Uint8Array.from(this.bytes); }
}

function valueInfo(v: OnnxValue): Pb {
  const shape = new Pb();
  // TensorShapeProto.dim (1): Dimension { dim_value (1) | dim_param (2) }
  for (const d of v.dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  // TypeProto.tensor_type (1): { elem_type (1), shape (2) }
  const tensorType = new Pb().int(1, v.elemType).msg(2, shape);
  // ValueInfoProto: name (1), type (2)
  return new Pb().str(1, v.name).msg(2, new Pb().msg(1, tensorType));
}

function node(n: OnnxNode, index: number): Pb {
  // NodeProto: input (1), output (2), name (3), op_type (4), attribute (5), domain (7)
  const p = new Pb();
  for (const i of n.inputs) p.str(1, i);
  for (const o of n.outputs) p.str(2, o);
  p.str(3, `${n.opType}_${index}`).str(4, n.opType);
  for (const a of n.attrs ?? []) {
    // AttributeProto: name (1), f (2), i (3), type (20): FLOAT = 1, INT = 2
    const ap = new Pb().str(1, a.name);
    if (a.float !== undefined) ap.float(2, a.float).int(20, 1);
    else ap.int(3, a.int ?? 0).int(20, 2);
    p.msg(5, ap);
  }
  if (n.domain) p.str(7, n.domain);
  return p;
}

/** The serialized ModelProto. */
export function onnxModel(g: OnnxGraph): Uint8Array {
  // GraphProto: node (1), name (2), input (11), output (12)
  const graph = new Pb();
  g.nodes.forEach((n, i) => graph.msg(1, node(n, i)));
  graph.str(2, 'g');
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  // ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8): { domain (1), version (2) }
  const model = new Pb().int(1, g.irVersion ?? 10).str(2, 'attnc-bench').msg(7, graph);
  for (const [domain, version] of Object.entries(g.opsets)) {
    const op = new Pb();
    if (domain) op.str(1, domain);
    model.msg(8, op.int(2, version));
  }
  return model.finish();
}
