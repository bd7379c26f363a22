# Throughput and p99 latency against offered load (open-loop steps of benchmarks/run) for the
# Emmett peer, Orderline embedded and Orderline on Kafka. Called by benchmarks/run:
#   gnuplot -e "datafile='load_curve.dat'; outfile='docs/benchmarks-load.png'" benchmarks/plot_load.gp
# Columns of datafile (from benchmarks/report_comparison.py): offered, then achieved orders/s
# and p99 ms for the peer, embedded and Kafka.
set terminal pngcairo size 1100,460 font ",10"
set output outfile
set multiplot layout 1,2 title "Place + read an order, 64 connections, open loop (same run, same machine)"
set logscale xy
set grid
set key top left
set xlabel "offered orders/s (log)"
set ylabel "achieved orders/s (log)"
set title "Throughput"
plot datafile using 1:1 with lines dashtype 2 lc rgb "#999999" title "offered", \
     '' using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Emmett peer", \
     '' using 1:4 with linespoints pt 5 lc rgb "#1b9e77" title "Orderline embedded", \
     '' using 1:6 with linespoints pt 9 lc rgb "#7570b3" title "Orderline on Kafka"
set key bottom right
set ylabel "p99 latency (ms, log)"
set title "p99 latency (from the scheduled send time)"
plot datafile using 1:3 with linespoints pt 7 lc rgb "#d95f02" title "Emmett peer", \
     '' using 1:5 with linespoints pt 5 lc rgb "#1b9e77" title "Orderline embedded", \
     '' using 1:7 with linespoints pt 9 lc rgb "#7570b3" title "Orderline on Kafka", \
     10 with lines dashtype 3 lc rgb "#cc0000" title "10 ms target"
unset multiplot
