//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 kernels of the multi-spin-coded samplers (see mskernel_amd64.go
// and msRow2D, msRow3D in mscode.go): 8 words of a row per iteration, word
// j+i in lane i of a ZMM register, drawing from stream i.
//
// Registers: Z0…Z3 the states S0…S3 of the 8 xoshiro256** streams; Z4 the
// word v (then v with the forced flips); Z13, Z14 (and Z18 = c0&c1 in 3D)
// the class bits c0, c1; Z16 need; Z17 yes; Z20 the random word u; Z31 the
// used lanes; R9 the threshold table (32 bytes per bit: a, b, c, d).
//
// VPTERNLOGQ $imm, C, B, A computes f(A, B, C) into A, bit 4a+2b+c of imm:
// 0x96 A^B^C, 0xE8 majority, 0xF8 A|(B&C), 0x78 A^(B&C), 0x90 A&^(B^C).

// STEP draws u = xoshiro256** output of each stream and advances the states
// (xrand.Step, lane-wise).
#define STEP \
	VPSLLQ     $2, Z1, Z20;        \
	VPADDQ     Z1, Z20, Z20;       \
	VPROLQ     $7, Z20, Z20;       \
	VPSLLQ     $3, Z20, Z21;       \
	VPADDQ     Z20, Z21, Z20;      \
	VPSLLQ     $17, Z1, Z21;       \
	VPXORQ     Z1, Z3, Z3;         \
	VPTERNLOGQ $0x96, Z0, Z2, Z1;  \
	VPTERNLOGQ $0x96, Z0, Z21, Z2; \
	VPXORQ     Z3, Z0, Z0;         \
	VPROLQ     $45, Z3, Z3

// MSTEP is STEP for the streams in K1 only (the others keep their state).
#define MSTEP \
	VPSLLQ     $2, Z1, Z20;            \
	VPADDQ     Z1, Z20, Z20;           \
	VPROLQ     $7, Z20, Z20;           \
	VPSLLQ     $3, Z20, Z21;           \
	VPADDQ     Z20, Z21, Z20;          \
	VPSLLQ     $17, Z1, Z21;           \
	VPXORQ     Z1, Z3, K1, Z3;         \
	VPTERNLOGQ $0x96, Z0, Z2, K1, Z1;  \
	VPTERNLOGQ $0x96, Z0, Z21, K1, Z2; \
	VPXORQ     Z3, Z0, K1, Z0;         \
	VPROLQ     $45, Z3, K1, Z3

// CMP is one bit of the comparison given the lane-wise threshold bit th in
// Z22: yes |= need & th &^ u; need &^= th ^ u.
#define CMP \
	VPANDNQ    Z22, Z20, Z23;       \
	VPTERNLOGQ $0xF8, Z23, Z16, Z17; \
	VPTERNLOGQ $0x90, Z20, Z22, Z16

// TH2 is the threshold bit of the 2D classes at table entry off(base):
// th = a ^ c0&b ^ c1&c.
#define TH2(off, base) \
	VPANDQ.BCST     off+8(base), Z13, Z22;        \
	VPTERNLOGQ.BCST $0x78, off+16(base), Z14, Z22; \
	VPXORQ.BCST     off+0(base), Z22, Z22

// TH3 adds c0&c1&d (3D).
#define TH3(off, base) \
	TH2(off, base); \
	VPTERNLOGQ.BCST $0x78, off+24(base), Z18, Z22

// LOADST and STOREST move the stream states between st (R10) and Z0…Z3.
#define LOADST \
	VMOVDQU64 0(R10), Z0;   \
	VMOVDQU64 64(R10), Z1;  \
	VMOVDQU64 128(R10), Z2; \
	VMOVDQU64 192(R10), Z3

#define STOREST \
	VMOVDQU64 Z0, 0(R10);   \
	VMOVDQU64 Z1, 64(R10);  \
	VMOVDQU64 Z2, 128(R10); \
	VMOVDQU64 Z3, 192(R10)

// NEXT ends an iteration of the data-dependent tail: the comparison, then
// the next bit k (R11) of the table (R12).
#define NEXT CMP; INCQ R11; ADDQ $32, R12

#define ITER2(off) STEP; TH2(off, R9); CMP
#define ITER3(off) STEP; TH3(off, R9); CMP

// MITER2 and MITER3 are iterations in which only the streams whose word has
// undecided lanes advance, as in the portable kernels' data-dependent loop,
// done without a loop-exit branch: after msUnroll iterations most groups of
// 8 words still have a few undecided lanes.
#define MITER2(off) VPTESTMQ Z16, Z16, K1; MSTEP; TH2(off, R9); CMP
#define MITER3(off) VPTESTMQ Z16, Z16, K1; MSTEP; TH3(off, R9); CMP

// func msGroups2DAVX512(row, up, dn, oth *uint64, groups int, used uint64, tab *[64]msBits, st *msState)
TEXT ·msGroups2DAVX512(SB), NOSPLIT, $0-64
	MOVQ         row+0(FP), DI
	MOVQ         up+8(FP), SI
	MOVQ         dn+16(FP), DX
	MOVQ         oth+24(FP), R8
	MOVQ         groups+32(FP), CX
	VPBROADCASTQ used+40(FP), Z31
	MOVQ         tab+48(FP), R9
	MOVQ         st+56(FP), R10
	LOADST

group2:
	VMOVDQU64  (DI), Z4
	VPXORQ     (SI), Z4, Z5
	VPXORQ     (DX), Z4, Z6
	VPXORQ     (R8), Z4, Z7
	VPXORQ     8(R8), Z4, Z8
	VPXORQ     Z6, Z5, Z9          // sa
	VPANDQ     Z6, Z5, Z10         // ca
	VPXORQ     Z8, Z7, Z11         // sb
	VPANDQ     Z8, Z7, Z12         // cb
	VPXORQ     Z11, Z9, Z13        // c0 = sa ^ sb
	VPANDQ     Z11, Z9, Z14        // sa & sb
	VPTERNLOGQ $0x96, Z12, Z10, Z14 // c1 = ca ^ cb ^ sa&sb
	VPANDQ     Z12, Z10, Z15        // ca & cb
	VPTERNLOGQ $0xF8, Z14, Z13, Z15 // forced = ca&cb | c0&c1
	VPANDNQ    Z31, Z15, Z16        // need = used &^ forced
	VPTERNLOGQ $0x78, Z31, Z15, Z4  // v ^= forced & used
	VPXORQ     Z17, Z17, Z17        // yes = 0

	ITER2(0)
	ITER2(32)
	ITER2(64)
	ITER2(96)
	ITER2(128)
	ITER2(160)
	ITER2(192)
	ITER2(224)
	ITER2(256)
	MITER2(288)
	MITER2(320)

	MOVQ $11, R11
	LEAQ 352(R9), R12

tail2:
	VPTESTMQ Z16, Z16, K1
	KORTESTW K1, K1
	JZ       done2
	CMPQ     R11, $64
	JAE      done2
	MSTEP
	TH2(0, R12)
	NEXT
	JMP      tail2

done2:
	VPXORQ    Z17, Z4, Z4
	VMOVDQU64 Z4, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, R8
	DECQ      CX
	JNZ       group2

	STOREST
	VZEROUPPER
	RET

// func msGroups3DAVX512(row, up, dn, bk, fr, oth *uint64, groups int, used uint64, tab *[64]msBits, st *msState)
TEXT ·msGroups3DAVX512(SB), NOSPLIT, $0-80
	MOVQ         row+0(FP), DI
	MOVQ         up+8(FP), SI
	MOVQ         dn+16(FP), DX
	MOVQ         bk+24(FP), AX
	MOVQ         fr+32(FP), BX
	MOVQ         oth+40(FP), R8
	MOVQ         groups+48(FP), CX
	VPBROADCASTQ used+56(FP), Z31
	MOVQ         tab+64(FP), R9
	MOVQ         st+72(FP), R10
	LOADST

group3:
	VMOVDQU64  (DI), Z4
	VPXORQ     (R8), Z4, Z5        // a1 (−x)
	VPXORQ     8(R8), Z4, Z6       // a2 (+x)
	VPXORQ     (SI), Z4, Z7        // a3
	VPXORQ     (DX), Z4, Z8        // a4
	VPXORQ     (AX), Z4, Z10       // a5
	VPXORQ     (BX), Z4, Z12       // a6
	VMOVDQA64  Z5, Z9
	VPTERNLOGQ $0x96, Z7, Z6, Z9   // sa = a1^a2^a3
	VPTERNLOGQ $0xE8, Z7, Z6, Z5   // ca = maj(a1, a2, a3)
	VMOVDQA64  Z8, Z11
	VPTERNLOGQ $0x96, Z12, Z10, Z11 // sb = a4^a5^a6
	VPTERNLOGQ $0xE8, Z12, Z10, Z8  // cb = maj(a4, a5, a6)
	VPXORQ     Z11, Z9, Z13         // c0 = sa ^ sb
	VPANDQ     Z11, Z9, Z15         // cc = sa & sb
	VMOVDQA64  Z15, Z14
	VPTERNLOGQ $0x96, Z8, Z5, Z14   // c1 = ca ^ cb ^ cc
	VPTERNLOGQ $0xE8, Z8, Z5, Z15   // forced = maj(ca, cb, cc)
	VPANDNQ    Z31, Z15, Z16        // need = used &^ forced
	VPTERNLOGQ $0x78, Z31, Z15, Z4  // v ^= forced & used
	VPANDQ     Z14, Z13, Z18        // c01 = c0 & c1
	VPXORQ     Z17, Z17, Z17        // yes = 0

	ITER3(0)
	ITER3(32)
	ITER3(64)
	ITER3(96)
	ITER3(128)
	ITER3(160)
	ITER3(192)
	ITER3(224)
	ITER3(256)
	MITER3(288)
	MITER3(320)

	MOVQ $11, R11
	LEAQ 352(R9), R12

tail3:
	VPTESTMQ Z16, Z16, K1
	KORTESTW K1, K1
	JZ       done3
	CMPQ     R11, $64
	JAE      done3
	MSTEP
	TH3(0, R12)
	NEXT
	JMP      tail3

done3:
	VPXORQ    Z17, Z4, Z4
	VMOVDQU64 Z4, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, AX
	ADDQ      $64, BX
	ADDQ      $64, R8
	DECQ      CX
	JNZ       group3

	STOREST
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
