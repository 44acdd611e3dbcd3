# Reference values for the `signals` crate, computed by R.
#
#   Rscript crates/signals/tests/reference/earsc.R OUTDIR [--golden]
#
# writes to OUTDIR:
#   earsc.csv       EARS C1 and C2 upper bounds and alarms from surveillance::earsC, on
#                   synthetic series (the counts are in the file) under several settings;
#   reweighted.csv  epitweetr's ears_t_reweighted, written here again from its published
#                   formulas (alert.R, lines 95-183) with base R's qt and sd, as an
#                   independent implementation to hold the Rust one to;
#   quantiles.csv   qnorm and qt at the levels the detectors use;
# and with --golden also
#   salmnewport.csv surveillance's own golden test (salmNewport summed over units, C1,
#                   alpha = 0.05, the ISO weeks of 2011). This one copies the package's
#                   data, so it is produced for the live comparison only and never
#                   checked in.
#
# The checked-in fixtures are this script's output with OUTDIR = the directory it lives
# in. Needs r-base-core and r-cran-surveillance (Debian: apt-get install
# r-cran-surveillance).

suppressPackageStartupMessages(library(surveillance))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: earsc.R OUTDIR [--golden]")
outdir <- args[[1]]
golden <- "--golden" %in% args

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
flag <- function(x) ifelse(is.na(x), "NA", ifelse(x, "true", "false"))

set.seed(20260101)
series <- list(
  anchors = c(150, 130, 122, 160, 155, 128, 144, 125, 300, 319, 289, 277, 500),
  sparse = rpois(80, 0.3),
  zeros_then_one = c(rep(0, 20), 1, rep(0, 5), 2, 0, 0),
  constant = rep(5, 30),
  trending = round(20 + 1.5 * (1:60) + 4 * sin((1:60) / 3)),
  spike = c(rpois(30, 40), 140, rpois(15, 40)),
  weekly = rpois(120, ifelse((0:119) %% 7 < 5, 60, 15)),
  large = round(1e6 + 5e4 * sin(1:50)) + c(rep(0, 40), 4e5, rep(0, 9))
)

# --- EARS C1 / C2 through surveillance::earsC -------------------------------------------
settings <- list(
  list(method = "C1", alpha = 0.001, minSigma = 0, baseline = 7),
  list(method = "C2", alpha = 0.001, minSigma = 0, baseline = 7),
  list(method = "C1", alpha = 0.05, minSigma = 1, baseline = 7),
  list(method = "C2", alpha = 0.05, minSigma = 1, baseline = 7),
  list(method = "C1", alpha = 0.025, minSigma = 0.5, baseline = 14),
  list(method = "C2", alpha = 0.01, minSigma = 0, baseline = 3)
)
ears_rows <- list()
for (name in names(series)) {
  y <- series[[name]]
  for (s in settings) {
    first <- s$baseline + if (s$method == "C1") 1 else 3
    if (length(y) < first) next
    res <- earsC(sts(observed = matrix(y, ncol = 1)),
                 control = list(method = s$method, alpha = s$alpha,
                                minSigma = s$minSigma, baseline = s$baseline))
    upper <- rep(NA_real_, length(y))
    alarm <- rep(NA, length(y))
    upper[first:length(y)] <- upperbound(res)[, 1]
    alarm[first:length(y)] <- alarms(res)[, 1]
    ears_rows[[length(ears_rows) + 1]] <- data.frame(
      case = name, t = seq_along(y), count = y, method = s$method,
      baseline = s$baseline, alpha = num(s$alpha), min_sigma = num(s$minSigma),
      upper = num(upper), alarm = flag(alarm))
  }
}
write.csv(do.call(rbind, ears_rows), file.path(outdir, "earsc.csv"),
          row.names = FALSE, quote = FALSE)

# --- ears_t_reweighted from its formulas -----------------------------------------------
reweighted <- function(y, alpha = 0.025, alpha_outlier = 0.05, k_decay = 4, n = 7,
                       step = 1) {
  crit <- qt(1 - alpha, df = n - 1)
  cut <- qt(1 - alpha_outlier, df = n - 2)
  bound <- function(h, w) {
    w <- w / sum(w) * n
    centre <- sum(w * h) / n
    spread <- sqrt(sum(w * (h - centre)^2) / (n - 1))
    c(centre = centre, upper = centre + crit * spread * sqrt(1 + 1 / n))
  }
  out <- matrix(NA_real_, nrow = length(y), ncol = 3,
                dimnames = list(NULL, c("u0", "ybar", "u0_dw")))
  for (t in seq_along(y)) {
    if (t <= n * step) next
    h <- y[t - (n:1) * step]
    plain <- bound(h, rep(1, n))
    loo <- vapply(seq_len(n), function(i) sd(h[-i]), numeric(1))
    rstar <- (h - plain[["centre"]]) / (loo * sqrt(1 - 1 / n))
    # 0/0 for a constant baseline gives NA here, as in epitweetr.
    w <- ifelse(rstar > cut, (cut / rstar)^k_decay, 1)
    out[t, ] <- c(plain[["upper"]], plain[["centre"]], bound(h, w)[["upper"]])
  }
  out
}
rw_settings <- list(
  list(alpha = 0.025, n = 7, step = 1),
  list(alpha = 0.025 / 34, n = 7, step = 1),
  list(alpha = 0.025, n = 5, step = 1),
  list(alpha = 0.025, n = 7, step = 7)
)
rw_rows <- list()
for (name in names(series)) {
  y <- series[[name]]
  for (s in rw_settings) {
    if (length(y) <= s$n * s$step) next
    r <- reweighted(y, alpha = s$alpha, n = s$n, step = s$step)
    rw_rows[[length(rw_rows) + 1]] <- data.frame(
      case = name, t = seq_along(y), count = y, n = s$n, alpha = num(s$alpha),
      same_weekday = flag(s$step == 7),
      u0 = num(r[, "u0"]), alarm0 = flag(y > r[, "u0"]), ybar = num(r[, "ybar"]),
      u0_dw = num(r[, "u0_dw"]), alarm0_dw = flag(y > r[, "u0_dw"]))
  }
}
write.csv(do.call(rbind, rw_rows), file.path(outdir, "reweighted.csv"),
          row.names = FALSE, quote = FALSE)

# --- quantiles ------------------------------------------------------------------------
levels <- c(0.25, 0.1, 0.05, 0.025, 0.01, 0.001, 0.025 / 34, 1e-6, 1e-10)
q_rows <- list(data.frame(fn = "qnorm", p = num(levels), df = "NA", value = num(qnorm(levels))))
for (df in c(1, 2, 3, 4, 5, 6, 7, 10, 13, 20, 30, 63, 100, 1000)) {
  q_rows[[length(q_rows) + 1]] <- data.frame(fn = "qt", p = num(levels), df = num(df),
                                             value = num(qt(levels, df)))
}
write.csv(do.call(rbind, q_rows), file.path(outdir, "quantiles.csv"),
          row.names = FALSE, quote = FALSE)

# --- the package's golden test ----------------------------------------------------------
if (golden) {
  data("salmNewport")
  germany <- aggregate(salmNewport, by = "unit")
  in2011 <- which(isoWeekYear(epoch(salmNewport))$ISOYear == 2011)
  res <- earsC(germany, control = list(range = in2011, method = "C1", alpha = 0.05))
  y <- as.vector(observed(germany))
  upper <- rep(NA_real_, length(y))
  upper[in2011] <- upperbound(res)[, 1]
  write.csv(data.frame(t = seq_along(y), count = y, upper = num(upper)),
            file.path(outdir, "salmnewport.csv"), row.names = FALSE, quote = FALSE)
}
