"""Process graphs: the approval process as a networkx model with its critical path
(:mod:`wenze.dsl.processes`), graphviz drawings of processes and rulebook overviews
(:mod:`wenze.graphs.render`), case overlays (:mod:`wenze.graphs.overlay`) and the ``wenze graph``
command (:mod:`wenze.cli.graph`)."""
