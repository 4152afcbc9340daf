;; The float32 matmul micro-kernel of tapegrad, hand-written in WebAssembly SIMD (f32x4).
;;
;; Source of the bytes embedded in gemm-wasm-bytes.ts. To regenerate after editing:
;;   npm install --no-save wabt && node src/kernels/gemm-wasm.gen.mjs
;;
;; C[4×8 tile] (+)= Σₖ Ap[k]ᵀ·Bp[k] over packed panels, for every tile of a block:
;;   Ap: `mp` panels of 4 rows, each [kc][4] floats (16 bytes per k), rows past M zero-padded;
;;   Bp: `np` panels of 8 columns, each [kc][8] floats (32 bytes per k), columns past N zero-padded;
;;   C:  row-major with `ldc` floats per row, big enough for the padded tiles (the driver copies
;;       the valid part out), so the kernel never needs an edge case.
;; `pack` lays a block of an operand out as those panels, inside wasm memory (the driver first copies
;; the operand in with one memcpy). Packing in a JS loop took 29% of the time of a 256×256 product;
;; here it takes 5%.
;; The 4×8 tile keeps 8 accumulators + 2 B vectors + 1 broadcast A in 11 of the 16 xmm registers:
;; per k it does 2 vector loads, 4 load-and-splat, 8 mul and 8 add for 64 flops.
(module
  (memory (export "memory") 1)

  ;; pack(dst, src, np, w, kc, sk, sj, n): np panels of [kc][w] floats written at dst, panel p holding
  ;; columns p·w … p·w+w−1; element (k, j) is read at src + 4·(k·sk + j·sj); columns j ≥ n are zeros.
  (func (export "pack")
    (param $dst i32) (param $src i32) (param $np i32) (param $w i32)
    (param $kc i32) (param $sk i32) (param $sj i32) (param $n i32)
    (local $p i32) (local $k i32) (local $jj i32) (local $m i32) (local $row i32)
    ;; strides in bytes
    (local.set $sk (i32.shl (local.get $sk) (i32.const 2)))
    (local.set $sj (i32.shl (local.get $sj) (i32.const 2)))
    (local.set $p (i32.const 0))
    (block $done_p
      (loop $loop_p
        (br_if $done_p (i32.ge_u (local.get $p) (local.get $np)))
        ;; m = min(w, n − p·w): the columns of this panel that exist
        (local.set $m (i32.sub (local.get $n) (i32.mul (local.get $p) (local.get $w))))
        (if (i32.gt_s (local.get $m) (local.get $w)) (then (local.set $m (local.get $w))))
        (local.set $k (i32.const 0))
        (block $done_k
          (loop $loop_k
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $kc)))
            ;; row = src + k·sk + p·w·sj: the address of element (k, p·w)
            (local.set $row (i32.add (local.get $src)
              (i32.add (i32.mul (local.get $k) (local.get $sk))
                       (i32.mul (i32.mul (local.get $p) (local.get $w)) (local.get $sj)))))
            (if (i32.and (i32.eq (local.get $sj) (i32.const 4)) (i32.eq (local.get $m) (local.get $w)))
              (then
                ;; A whole panel row of contiguous floats (a B block read row by row, the usual
                ;; case): copied 4 floats at a time. When the other operand is small (a
                ;; convolution's 8 or 16 filters) packing costs about as much as the arithmetic:
                ;; this made the 16×252×200 product of the MNIST CNN 20% faster (0.14 → 0.115 ms);
                ;; 256³ and 1024³ products are unchanged within noise.
                (v128.store (local.get $dst) (v128.load (local.get $row)))
                (if (i32.eq (local.get $w) (i32.const 8))
                  (then (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $row)))))
                (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $w) (i32.const 2)))))
              (else
                (local.set $jj (i32.const 0))
                (block $done_j
                  (loop $loop_j
                    (br_if $done_j (i32.ge_u (local.get $jj) (local.get $m)))
                    (f32.store (local.get $dst) (f32.load (local.get $row)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $row (i32.add (local.get $row) (local.get $sj)))
                    (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                    (br $loop_j)))
                (block $done_z
                  (loop $loop_z
                    (br_if $done_z (i32.ge_u (local.get $jj) (local.get $w)))
                    (f32.store (local.get $dst) (f32.const 0))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                    (br $loop_z)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $loop_k)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $loop_p))))

  ;; gemm_block(ap, bp, c, mp, np, kc, ldc, accumulate): byte addresses, panel counts, depth kc ≥ 1,
  ;; C's row length in floats; accumulate ≠ 0 adds to C instead of overwriting it.
  (func (export "gemm_block")
    (param $ap i32) (param $bp i32) (param $c i32) (param $mp i32) (param $np i32)
    (param $kc i32) (param $ldc i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $ldb i32)
    (local $b0 v128) (local $b1 v128) (local $a v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    ;; row stride of C in bytes
    (local.set $ldb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $done_i
      (loop $loop_i
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $mp)))
        (local.set $j (i32.const 0))
        (block $done_j
          (loop $loop_j
            (br_if $done_j (i32.ge_u (local.get $j) (local.get $np)))
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))
            (local.set $c31 (v128.const i32x4 0 0 0 0))
            ;; pa = ap + i·kc·16, pb = bp + j·kc·32
            (local.set $pa (i32.add (local.get $ap) (i32.shl (i32.mul (local.get $i) (local.get $kc)) (i32.const 4))))
            (local.set $pb (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $j) (local.get $kc)) (i32.const 5))))
            (local.set $k (local.get $kc))
            (loop $loop_k
              (local.set $b0 (v128.load offset=0 (local.get $pb)))
              (local.set $b1 (v128.load offset=16 (local.get $pb)))
              (local.set $a (v128.load32_splat offset=0 (local.get $pa)))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
              (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
              (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
              (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
              (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
              (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
              (local.set $k (i32.sub (local.get $k) (i32.const 1)))
              (br_if $loop_k (local.get $k)))
            ;; pc = c + (4i·ldc + 8j)·4
            (local.set $pc (i32.add (local.get $c)
              (i32.add (i32.mul (i32.shl (local.get $i) (i32.const 2)) (local.get $ldb))
                       (i32.shl (local.get $j) (i32.const 5)))))
            (if (local.get $acc)
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (v128.load offset=0 (local.get $pc))))
                (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))
                (local.set $c10 (f32x4.add (local.get $c10) (v128.load offset=0 (i32.add (local.get $pc) (local.get $ldb)))))
                (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $pc) (local.get $ldb)))))
                (local.set $c20 (f32x4.add (local.get $c20)
                  (v128.load offset=0 (i32.add (local.get $pc) (i32.shl (local.get $ldb) (i32.const 1))))))
                (local.set $c21 (f32x4.add (local.get $c21)
                  (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $ldb) (i32.const 1))))))
                (local.set $c30 (f32x4.add (local.get $c30)
                  (v128.load offset=0 (i32.add (local.get $pc) (i32.mul (local.get $ldb) (i32.const 3))))))
                (local.set $c31 (f32x4.add (local.get $c31)
                  (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $ldb) (i32.const 3))))))))
            (v128.store offset=0 (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldb)))
            (v128.store offset=0 (local.get $pc) (local.get $c10))
            (v128.store offset=16 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldb)))
            (v128.store offset=0 (local.get $pc) (local.get $c20))
            (v128.store offset=16 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $ldb)))
            (v128.store offset=0 (local.get $pc) (local.get $c30))
            (v128.store offset=16 (local.get $pc) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $loop_j)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop_i)))))
