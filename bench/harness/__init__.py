"""The benchmarks' harness: the workload (``workload``), the server under test (``server``), the closed-loop
client (``client``), statistics (``stats``), the server's memory (``memory``), the in-process profile
(``profile``) and the printed reports (``report``). The scripts are ``bench/patient_view.py`` and
``bench/load.py``; nothing in the service or the tests imports this package."""
