/**
 * Builds the WebAssembly SIMD kernel of the weight diff and writes it, base64,
 * into src/artifacts/weights/delta-kernel-wasm.ts.
 *
 *   npx tsx bench/weights-kernel-build.ts        (needs llc with the wasm32 target, e.g. llvm-14)
 *
 * The kernel is written here as LLVM IR (the source of truth) and compiled with
 * `llc -O3 -mattr=+simd128 -filetype=obj`. A wasm object file is a valid module
 * when, as here, the code references no data or globals, so no linker is needed.
 * Four row kernels: {bf16, f32} x {with, without the row sketch update}. Each
 * processes a row of n elements (n a multiple of 8) and writes
 * [sum a^2, sum a*d, sum d^2, max |d|, count(d != 0)] as doubles to `out`;
 * sums run in f32x4 lanes for 512 elements, then flush into doubles.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LLC =
  process.env.LLC ?? ['/usr/lib/llvm-14/bin/llc', 'llc'].find((p) => p === 'llc' || existsSync(p)) ?? 'llc';

function rowKernel(name: string, dtype: 'bf16' | 'f32', sketch: boolean, attr: number): string {
  const elt = dtype === 'bf16' ? 'i16' : 'float';
  const shl = '<i32 16, i32 16, i32 16, i32 16, i32 16, i32 16, i32 16, i32 16>';
  const load =
    dtype === 'bf16'
      ? ['a', 'b']
          .map(
            (x) => `  %p${x} = getelementptr i16, i16* %${x}, i32 %i
  %p${x}v = bitcast i16* %p${x} to <8 x i16>*
  %r${x} = load <8 x i16>, <8 x i16>* %p${x}v, align 2
  %z${x} = zext <8 x i16> %r${x} to <8 x i32>
  %s${x} = shl <8 x i32> %z${x}, ${shl}
  %v${x} = bitcast <8 x i32> %s${x} to <8 x float>
`,
          )
          .join('')
      : ['a', 'b']
          .map(
            (x) => `  %p${x} = getelementptr float, float* %${x}, i32 %i
  %p${x}v = bitcast float* %p${x} to <8 x float>*
  %v${x} = load <8 x float>, <8 x float>* %p${x}v, align 4
`,
          )
          .join('');
  const sk = sketch
    ? `  %py = getelementptr float, float* %y, i32 %i
  %pyv = bitcast float* %py to <8 x float>*
  %vy = load <8 x float>, <8 x float>* %pyv, align 4
  %sd = fmul <8 x float> %d, %signv
  %ny = fadd <8 x float> %vy, %sd
  store <8 x float> %ny, <8 x float>* %pyv, align 4
`
    : '';
  const store = (vals: string[]) =>
    vals
      .map(
        (v, k) =>
          `  %o${k}${v.startsWith('0') ? 'z' : ''} = getelementptr double, double* %out, i32 ${k}\n  store double ${v}, double* %o${k}${v.startsWith('0') ? 'z' : ''}\n`,
      )
      .join('');
  return `
define void @${name}(${elt}* %a, ${elt}* %b, i32 %n, float* %y, float %sign, double* %out) #${attr} {
entry:
  %s0 = insertelement <8 x float> undef, float %sign, i32 0
  %signv = shufflevector <8 x float> %s0, <8 x float> undef, <8 x i32> zeroinitializer
  %has = icmp sgt i32 %n, 0
  br i1 %has, label %outer, label %done
outer:
  %ob = phi i32 [0, %entry], [%oe, %flush]
  %ta2 = phi double [0.0, %entry], [%ta2n, %flush]
  %tad = phi double [0.0, %entry], [%tadn, %flush]
  %td2 = phi double [0.0, %entry], [%td2n, %flush]
  %tmx = phi <8 x float> [zeroinitializer, %entry], [%mx1, %flush]
  %tch = phi <8 x i32> [zeroinitializer, %entry], [%ch1, %flush]
  %oe0 = add i32 %ob, 512
  %lt = icmp slt i32 %oe0, %n
  %oe = select i1 %lt, i32 %oe0, i32 %n
  br label %inner
inner:
  %i = phi i32 [%ob, %outer], [%i1, %inner]
  %a2 = phi <8 x float> [zeroinitializer, %outer], [%a2n, %inner]
  %ad = phi <8 x float> [zeroinitializer, %outer], [%adn, %inner]
  %d2 = phi <8 x float> [zeroinitializer, %outer], [%d2n, %inner]
  %mx = phi <8 x float> [%tmx, %outer], [%mx1, %inner]
  %ch = phi <8 x i32> [%tch, %outer], [%ch1, %inner]
${load}  %d = fsub <8 x float> %vb, %va
  %aa = fmul <8 x float> %va, %va
  %a2n = fadd <8 x float> %a2, %aa
  %adx = fmul <8 x float> %va, %d
  %adn = fadd <8 x float> %ad, %adx
  %dd = fmul <8 x float> %d, %d
  %d2n = fadd <8 x float> %d2, %dd
  %nz = fcmp une <8 x float> %d, zeroinitializer
  %nzi = zext <8 x i1> %nz to <8 x i32>
  %ch1 = add <8 x i32> %ch, %nzi
  %abs = call <8 x float> @llvm.fabs.v8f32(<8 x float> %d)
  %gt = fcmp ogt <8 x float> %abs, %mx
  %mx1 = select <8 x i1> %gt, <8 x float> %abs, <8 x float> %mx
${sk}  %i1 = add i32 %i, 8
  %c = icmp slt i32 %i1, %oe
  br i1 %c, label %inner, label %flush
flush:
  %ra2 = call float @llvm.vector.reduce.fadd.v8f32(float 0.0, <8 x float> %a2n)
  %rad = call float @llvm.vector.reduce.fadd.v8f32(float 0.0, <8 x float> %adn)
  %rd2 = call float @llvm.vector.reduce.fadd.v8f32(float 0.0, <8 x float> %d2n)
  %xa2 = fpext float %ra2 to double
  %xad = fpext float %rad to double
  %xd2 = fpext float %rd2 to double
  %ta2n = fadd double %ta2, %xa2
  %tadn = fadd double %tad, %xad
  %td2n = fadd double %td2, %xd2
  %more = icmp slt i32 %oe, %n
  br i1 %more, label %outer, label %finish
finish:
  %m0 = shufflevector <8 x float> %mx1, <8 x float> undef, <4 x i32> <i32 0, i32 1, i32 2, i32 3>
  %m1 = shufflevector <8 x float> %mx1, <8 x float> undef, <4 x i32> <i32 4, i32 5, i32 6, i32 7>
  %g1 = fcmp ogt <4 x float> %m1, %m0
  %m2 = select <4 x i1> %g1, <4 x float> %m1, <4 x float> %m0
  %m3 = shufflevector <4 x float> %m2, <4 x float> undef, <4 x i32> <i32 2, i32 3, i32 undef, i32 undef>
  %g2 = fcmp ogt <4 x float> %m3, %m2
  %m4 = select <4 x i1> %g2, <4 x float> %m3, <4 x float> %m2
  %e0 = extractelement <4 x float> %m4, i32 0
  %e1 = extractelement <4 x float> %m4, i32 1
  %g3 = fcmp ogt float %e1, %e0
  %rmx = select i1 %g3, float %e1, float %e0
  %rch = call i32 @llvm.vector.reduce.add.v8i32(<8 x i32> %ch1)
  %xmx = fpext float %rmx to double
  %xch = uitofp i32 %rch to double
${store(['%ta2n', '%tadn', '%td2n', '%xmx', '%xch'])}  ret void
done:
${store(['0.0', '0.0', '0.0', '0.0', '0.0'])}  ret void
}
attributes #${attr} = { "wasm-export-name"="${name}" "target-features"="+simd128" }
`;
}

const ir = `target datalayout = "e-m:e-p:32:32-i64:64-n32:64-S128"
target triple = "wasm32-unknown-unknown"
declare <8 x float> @llvm.fabs.v8f32(<8 x float>)
declare float @llvm.vector.reduce.fadd.v8f32(float, <8 x float>)
declare i32 @llvm.vector.reduce.add.v8i32(<8 x i32>)
${rowKernel('row_bf16_sketch', 'bf16', true, 0)}${rowKernel('row_bf16', 'bf16', false, 1)}${rowKernel('row_f32_sketch', 'f32', true, 2)}${rowKernel('row_f32', 'f32', false, 3)}`;

const dir = mkdtempSync(join(tmpdir(), 'tg-kernel-'));
writeFileSync(join(dir, 'delta-kernel.ll'), ir);
execFileSync(LLC, [
  '-O3',
  '-mattr=+simd128',
  '-filetype=obj',
  join(dir, 'delta-kernel.ll'),
  '-o',
  join(dir, 'delta-kernel.wasm'),
]);
const wasm = readFileSync(join(dir, 'delta-kernel.wasm'));
const mod = new WebAssembly.Module(wasm);
const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
if (imports.join() !== 'env.__linear_memory') throw new Error(`unexpected imports: ${imports.join(', ')}`);
const b64 = wasm.toString('base64');
const lines = b64.match(/.{1,100}/g) ?? [];
const out = `// Generated by \`npx tsx bench/weights-kernel-build.ts\` from the LLVM IR in that script; do not edit.
/** WebAssembly SIMD row kernels of the weight diff (${wasm.length} bytes). */
export const DELTA_KERNEL_WASM_BASE64 =
${lines.map((l) => `  '${l}'`).join(' +\n')};
`;
writeFileSync(new URL('../src/artifacts/weights/delta-kernel-wasm.ts', import.meta.url), out);
console.log(`wrote src/artifacts/weights/delta-kernel-wasm.ts (${wasm.length} bytes of wasm)`);
