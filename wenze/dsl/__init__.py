"""The rules language: rulebook text → a checked AST.

Takes ``.wz`` text (Chinese or English keywords); gives :class:`wenze.dsl.ast.Rulebook` and coded
diagnostics (parser, loader with ``继承``/``覆盖``, ordered check passes), the formatter, the fact
vocabulary and the working-day calendar a rulebook counts its limits in.
Imports nothing else of wenze.
"""
