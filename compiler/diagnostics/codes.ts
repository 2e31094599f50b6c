/**
 * Every user-facing diagnostic code, with its severity and a one-line summary. This table is
 * the single list of codes: `docs/diagnostics.md` is checked against it by a test, and each
 * code has a sample folder under `test/diagnostics/samples/`.
 */
export const DIAGNOSTIC_CODES = {
  // input files
  file_not_found: { severity: 'error', summary: 'a file named on the command line that does not exist or cannot be read' },
  not_a_regular_file: { severity: 'error', summary: 'a file to read (source, import, .npy array, JSON) that is a folder, a device such as /dev/zero, a fifo or socket, or a /proc or /sys file (whose size is not known in advance)' },
  file_too_large: { severity: 'error', summary: 'a file to read over its size limit: 16 MiB for sources, imports and JSON files, 2 GiB for .npy files (and standard input as a source)' },
  output_conflict: { severity: 'error', summary: 'two files of one `compile` would have the same name (patterns `x` and `x_flex` with `--target cuda,flex`); nothing is written then' },
  cannot_write: { severity: 'error', summary: 'an output file or folder that cannot be written (a folder where a file is wanted or the reverse, no permission, no space); nothing is written then' },
  // 1-parse
  unexpected_character: { severity: 'error', summary: 'a character that cannot start any token' },
  unterminated_string: { severity: 'error', summary: 'a string literal with no closing quote' },
  syntax_error: { severity: 'error', summary: 'tokens that do not form a valid declaration or expression' },
  nesting_too_deep: { severity: 'error', summary: 'an expression nested more than 100 levels deep (brackets, prefix operators, `**`), or an expression tree more than 256 levels deep (a chain of n operators is n + 1 levels)' },
  // imports
  missing_import: { severity: 'error', summary: 'an imported file that does not exist or cannot be read' },
  import_cycle: { severity: 'error', summary: 'files that import each other' },
  import_refused: { severity: 'error', summary: 'an import of a file that is not an `.attn` file, or of a file outside the folders given with `--import-root` (as written or after following links)' },
  // 2-check: names and declarations
  unknown_name: { severity: 'error', summary: 'a name that is not defined in scope' },
  duplicate_definition: { severity: 'error', summary: 'two definitions of one name in the same scope' },
  reserved_name: { severity: 'error', summary: 'a definition that shadows a built-in name (q, k, h, b, sizes, built-in functions), or a runtime value or input array named as the generated code cannot take (a Python keyword, or a name of the Python loader or FlexAttention module)' },
  recursive_fn: { severity: 'error', summary: 'a function that calls itself, directly or through others' },
  wrong_arity: { severity: 'error', summary: 'a call with the wrong number of arguments' },
  not_callable: { severity: 'error', summary: 'a call of something that is not a function' },
  // 2-check: types
  type_mismatch: { severity: 'error', summary: 'an expression of the wrong type (bool, int, float)' },
  float_in_mask: { severity: 'error', summary: 'a float value where the mask needs exact integers' },
  bad_index: { severity: 'error', summary: 'an input array indexed other than as declared: `doc[q]`/`doc[k]`, `prefix[b]`, `doc[b, q]`/`doc[b, k]`' },
  not_indexable: { severity: 'error', summary: 'indexing something that is not an input array, or an input array used without an index' },
  bad_layout_size: { severity: 'error', summary: 'a layout axis whose constant size is 0 or negative' },
  unknown_axis: { severity: 'error', summary: 'a layout coordinate that the layout does not define, or a coordinate with no layout' },
  duplicate_clause: { severity: 'error', summary: 'a clause that may appear once (layout, bias, softcap, select) appearing twice' },
  bad_select: { severity: 'error', summary: 'a `select` clause whose count or block sizes read q, k, h, b or an input array, or whose values are refused: a block size that is not greater than 0 or a count below 0 (constants when checked; parameter values when bound; runtime values and sizes when planned)' },
  bad_select_score: { severity: 'error', summary: 'a `select` score that is not one of `dot(mean(q), mean(k))`, `dot(mean(q), max(k))`, `bound(mean(q), k)` or a score input' },
  bad_score_input: { severity: 'error', summary: 'a float array input that is not `float[batch, heads, q_blocks, kv_blocks]`, not declared `input`, or used other than as the score of the pattern\'s `select`' },
  expression_too_large: { severity: 'error', summary: 'a pattern or `fn` whose elaboration, with `let`s and repeated calls shared, creates more than 100,000 nodes, or an expression more than 256 levels deep' },
  division_by_zero: { severity: 'error', summary: 'division or modulo by a constant zero' },
  constant_out_of_range: { severity: 'error', summary: 'a constant expression whose value the kernels cannot compute: an int outside 32 bits, or a float that is not finite or outside the f32 range' },
  bad_softcap: { severity: 'error', summary: 'a soft-cap value that is not greater than 0' },
  bad_assert: { severity: 'error', summary: 'an assert that reads q, k, h, b or an input array (asserts may use only parameters and sizes)' },
  name_too_long: { severity: 'error', summary: 'a pattern name longer than 100 characters (the name is part of the generated file names)' },
  bad_param_default: { severity: 'error', summary: 'a parameter default or range that is not a constant of the right type' },
  // parameter binding (CLI and bindings)
  unknown_param: { severity: 'error', summary: 'a parameter value given for a name the pattern does not declare' },
  bad_param_value: { severity: 'error', summary: 'a parameter value of the wrong type' },
  param_out_of_range: { severity: 'error', summary: 'a parameter value outside the declared range' },
  missing_param: { severity: 'error', summary: 'a parameter with no default and no value given' },
  assertion_failed: { severity: 'error', summary: 'an `assert` in a pattern is false for the given parameters' },
  bad_tile_shape: { severity: 'error', summary: 'a `--tiles` box shape that does not fit: not one size per layout axis, sizes that do not multiply to the block size, a pattern without a layout of two or more axes, or a target that takes strips only' },
  bad_size: { severity: 'error', summary: 'a sequence length, head count or block size that is not allowed' },
  bad_input: { severity: 'error', summary: 'an input array that is missing, unreadable, or of the wrong length or type; the queries, keys or score input of a pattern with `select` (`--q`, `--k`, `--input`) of the wrong shape or type' },
  dynamic_unsupported: { severity: 'error', summary: 'a pattern with a `select` clause given to a code generation target or the simulator that does not support data-dependent selection yet' },
  no_webgpu: { severity: 'error', summary: 'no WebGPU implementation could be started to run a kernel' },
  unknown_pattern: { severity: 'error', summary: 'no pattern of the requested name, or several patterns and none chosen' },
  // warnings
  unused_param: { severity: 'warning', summary: 'a parameter the pattern never uses' },
  unused_let: { severity: 'warning', summary: 'a let binding the pattern never uses' },
  fully_masked_rows: { severity: 'warning', summary: 'query rows that attend to no key (the output is 0 there)' },
  unproven_tiles: { severity: 'warning', summary: 'tiles the planner could not decide within its budget, listed PARTIAL (sound, but the kernels compute them)' },
} as const;

/** A stable snake_case diagnostic code. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
/** Error or warning. */
export type Severity = 'error' | 'warning';
