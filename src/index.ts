/**
 * epochgraph library API: checkpoints and runs, graphs and their properties, feature
 * tables, predictors and their evaluation, pruning policies. Training and zoos (`epochgraph/train`,
 * `epochgraph/zoo`, which load tfjs) and the report (`epochgraph/report`, which loads the
 * renderer) are separate entry points, so that importing this one stays light.
 */
export { EpochgraphError, CheckpointError, RunFormatError, OptionError } from './errors.js';
export type { DType, Tensor, TensorData, TensorStats } from './checkpoint/tensor.js';
export {
  DTYPE_BYTES,
  makeTensor,
  tensorStats,
  tensorToFloat32,
  tensorToFloat64,
} from './checkpoint/tensor.js';
export type { Checkpoint, CheckpointFormat, CheckpointReader, ParameterOrder, TensorEntry } from './checkpoint/checkpoint.js';
export { openCheckpoint, readCheckpoint, detectCheckpointFormat } from './checkpoint/open.js';
export type { OpenCheckpointOptions, ReadCheckpointOptions } from './checkpoint/open.js';
export { openSafetensors, writeSafetensors } from './checkpoint/safetensors.js';
export { compareNatural, sortNatural } from './util/natural-sort.js';
export { readRun, listZoo, listRunCheckpoints, parseRunManifest, checkpointFileName } from './checkpoint/run.js';
export type { Run, RunManifest, RunCheckpoint, HistoryEntry } from './checkpoint/run.js';
export { openPytorch } from './checkpoint/pytorch/reader.js';
export { GraphError } from './graph/errors.js';
export type {
  ArchitectureSpec, LayerSpec, InputLayerSpec, ConvLayerSpec, DenseLayerSpec, BatchNormLayerSpec, PoolLayerSpec, PassLayerSpec, AddLayerSpec, Pair,
} from './graph/architecture.js';
export { ARCHITECTURE_FORMAT, parseArchitectureSpec } from './graph/architecture.js';
export { ARCHITECTURE_METADATA_KEY, architectureFromJson, architectureFromMetadata, readArchitectureSpec } from './graph/architecture-source.js';
export { inferArchitecture } from './graph/infer.js';
export type { NamedShape } from './graph/infer.js';
export type { Adjacency, ArchitectureSource, Graph, GraphLayer, GraphOptions, GraphSource, NodeKind, Strengths } from './graph/graph.js';
export { DEFAULTS as GRAPH_DEFAULTS, layerOfNode } from './graph/graph.js';
export { buildRolledGraph, readRolledGraph, DEFAULTS as ROLLED_DEFAULTS } from './graph/rolled.js';
export type { Precision, RolledGraphOptions } from './graph/rolled.js';
export { buildUnrolledGraph, estimateUnrolledSize, DEFAULTS as UNROLLED_DEFAULTS } from './graph/unrolled.js';
export type { GraphSize, UnrolledGraphOptions } from './graph/unrolled.js';
export { formatGraph, writeGraph, GRAPH_FORMATS } from './graph/serialize.js';
export type { GraphFormat } from './graph/serialize.js';
export { PropertyError } from './properties/errors.js';
export { strength } from './properties/strength.js';
export type { NodeStrengths } from './properties/strength.js';
export { updateStrength } from './properties/update-strength.js';
export type { UpdateStrengths } from './properties/update-strength.js';
export { eigenvectorCentrality } from './properties/eigenvector-centrality.js';
export type { EigenvectorCentrality, EigenvectorCentralityOptions } from './properties/eigenvector-centrality.js';
export { pagerank } from './properties/pagerank.js';
export type { PageRankOptions } from './properties/pagerank.js';
export { spectralRadius } from './properties/spectral-radius.js';
export type { SpectralRadiusOptions } from './properties/spectral-radius.js';
export { layerSpectralRadii } from './properties/layer-spectral-radius.js';
export type { LayerSpectralRadiusOptions, LayerWeights } from './properties/layer-spectral-radius.js';
export { largestEigenpair, DEFAULTS as LANCZOS_DEFAULTS } from './properties/lanczos.js';
export type { Eigenpair, LanczosOptions } from './properties/lanczos.js';
export { aggregate, layerAggregates } from './properties/layer-aggregates.js';
export type { Aggregate } from './properties/layer-aggregates.js';
export { checkpointProperties, computeProperties, propertiesToJson, NODE_PROPERTIES } from './properties/compute.js';
export type { CheckpointPropertiesOptions, GraphProperties, LayerProperties, NodeProperty, PropertiesOptions } from './properties/compute.js';
export { BlockAdjacency } from './graph/blocks.js';
export type { BlockShape, DenseBlock } from './graph/blocks.js';
export { CsrAdjacency } from './graph/csr.js';
export { PredictError } from './predict/errors.js';
export { matrix, matrixFromRows, selectRows } from './predict/matrix.js';
export type { Matrix } from './predict/matrix.js';
export type { Regressor, RegressorJson } from './predict/regressor.js';
export { HistGradientBoostingRegressor, DEFAULTS as GBT_DEFAULTS } from './predict/gbt.js';
export type { GbtLoss, GbtOptions } from './predict/gbt.js';
export { RidgeRegressor, DEFAULTS as RIDGE_DEFAULTS } from './predict/ridge.js';
export type { RidgeOptions } from './predict/ridge.js';
export { ImputedRidge } from './predict/impute.js';
export { PredictorPipeline, DEFAULTS as PIPELINE_DEFAULTS, CANDIDATES, conformalQuantile } from './predict/pipeline.js';
export type { CandidateName, PipelineOptions, PipelineJson, Prediction } from './predict/pipeline.js';
export { TARGET_TRANSFORMS, LOGIT_EPSILON, toTarget, fromTarget } from './predict/target.js';
export type { TargetTransform } from './predict/target.js';
export { evaluateMethods, metricsOf, selectColumns } from './predict/evaluate.js';
export type { EvaluateOptions, Metrics, MethodEvaluation } from './predict/evaluate.js';
export { METHODS, findMethod } from './predict/evaluate-methods.js';
export type { Method } from './predict/evaluate-methods.js';
export { groupedFolds } from './predict/evaluate-folds.js';
export { intervalCoverage, kendallTau, meanAbsoluteError, r2Score, rocAuc, spearmanRho, topQuarter } from './predict/evaluate-metrics.js';
export { readModelFile, writeModelFile } from './predict/model-file.js';
export type { ModelFile } from './predict/model-file.js';
export { fitModel } from './predict/model-fit.js';
export { modelPredictions } from './predict/model-use.js';
export { DEFAULTS as EVALUATION_DEFAULTS, bestMethod, evaluateTables, evaluateZoos, evaluationSpec, zooFeatureTable } from './predict/evaluation.js';
export type { EvaluateZoosOptions, EvaluationProgress, EvaluationSpec, RankedMethod, ZooEvaluation } from './predict/evaluation.js';
export { LEARNED_MARGIN, chanceLevel, learnedRows, learnedThreshold } from './predict/chance.js';
export { classesOf, hyperparameterFeatures } from './checkpoint/run-config.js';
export { columnName, curveColumn, graphFeature, parseColumn, parseGraphFeature, parseTemporalFeature, temporalFeature, TEMPORAL_TERMS } from './summary/columns.js';
export type { ParsedTemporalFeature, TemporalTerm } from './summary/columns.js';
export { FEATURE_BLOCKS, runFeatures, runSnapshots, windowFeatures } from './summary/features.js';
export type { FeatureBlock, RunFeatureOptions, RunSnapshots, SnapshotRequest } from './summary/features.js';
export { readSnapshotTable, writeSnapshotTable } from './summary/snapshot-table.js';
export type { SnapshotTable, SnapshotTableRun } from './summary/snapshot-table.js';
export { LAYOUTS, SnapshotFeaturizer } from './summary/snapshot.js';
export type { FeatureLayout, FeatureVector } from './summary/snapshot.js';
export { buildFeatureTable, writeFeatureTable, featureTableToCsv, configurationGroup, labelledRows } from './summary/table.js';
export type { FeatureTable } from './summary/table.js';
export { temporalSummary } from './summary/temporal.js';
export { parseEpochList, parseEpochWindow, formatEpochs } from './util/epochs.js';
export type { TemporalSummaryOptions } from './summary/temporal.js';
export { POLICIES, POLICY_ALIASES, createPolicy, defaultPolicies, findPolicy, parsePolicy } from './prune/policies.js';
export type { PolicyEntry } from './prune/policies.js';
export { accuracyAt, finalAccuracy, lastObservation, makePolicy } from './prune/policy.js';
export type { Decision, Observation, PolicyContext, PredictionInterval, PrunePolicy, RunState, RunView } from './prune/policy.js';
export { DEFAULTS as GRAPH_POLICY_DEFAULTS, graphPolicy } from './prune/graph.js';
export type { GraphPolicyOptions } from './prune/graph.js';
export { DEFAULTS as MEDIAN_DEFAULTS, medianPolicy } from './prune/median.js';
export type { MedianOptions } from './prune/median.js';
export { DEFAULTS as ASHA_DEFAULTS, ashaPolicy } from './prune/asha.js';
export type { AshaOptions } from './prune/asha.js';
export { DEFAULTS as THRESHOLD_DEFAULTS, thresholdPolicy } from './prune/threshold.js';
export type { ThresholdOptions } from './prune/threshold.js';
export { DEFAULTS as REPLAY_DEFAULTS, crossFittedPredictions, readReplayFile, replayFile, replaySweep, summarizeOrders, zooReplayRuns } from './prune/replay.js';
export type { PolicyOutcome, PolicySummary, ReplayFile, ReplayOptions, ReplayResult, ReplayRun, Stop, ZooReplay, ZooReplayOptions } from './prune/replay.js';
