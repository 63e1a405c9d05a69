"""scikit-learn peer for `npm run bench:regressor`: the same fits on the same tables.

Reads DIR/<table>_{X,y}_{train,test}.npy for each table, fits HistGradientBoostingRegressor
(and RidgeCV on standardised features, for tables without missing values) REPEATS times,
and prints one JSON object:
{"sklearn": version, "threads": n, "results": {table: {"gbt": {"seconds": [...], "r2": .., "n_iter": ..},
                                                      "ridge": {"seconds": [...], "r2": .., "alpha": ..}}}}
Usage: /usr/bin/python3 bench/peers/sklearn_regressor.py DIR REPEATS TABLE...
Thread count follows OMP_NUM_THREADS (the caller sets 1 for the single-thread figures).
"""
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

GBT = dict(loss="squared_error", learning_rate=0.1, max_iter=100, max_leaf_nodes=31, max_depth=None,
           min_samples_leaf=20, l2_regularization=0.0, max_bins=255, early_stopping=False, random_state=0)
ALPHAS = [10 ** (-3 + k / 2) for k in range(17)]


def timed(make, X, y, repeats):
    seconds = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        seconds.append(time.perf_counter() - start)
    return model, seconds


def main():
    folder, repeats, tables = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    results = {}
    for table in tables:
        load = lambda name: np.load(os.path.join(folder, f"{table}_{name}.npy"))
        X, y, X_test, y_test = load("X_train"), load("y_train"), load("X_test"), load("y_test")
        model, seconds = timed(lambda: HistGradientBoostingRegressor(**GBT), X, y, repeats)
        results[table] = {"gbt": {"seconds": seconds, "r2": r2_score(y_test, model.predict(X_test)), "n_iter": model.n_iter_}}
        if not np.isnan(X).any():
            model, seconds = timed(lambda: make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS)), X, y, repeats)
            results[table]["ridge"] = {"seconds": seconds, "r2": r2_score(y_test, model.predict(X_test)), "alpha": model[-1].alpha_}
    threads = max((pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "openmp"), default=1)
    print(json.dumps({"sklearn": sklearn.__version__, "threads": threads, "results": results}))


main()
