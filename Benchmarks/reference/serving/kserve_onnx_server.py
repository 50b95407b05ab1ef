"""KServe's own Python model server (kserve 0.21) serving an `mpw export` ONNX file on ONNX Runtime.

It speaks the Open Inference Protocol as `mpw serve` does, with the same tensors: input "input",
FP32 [N, C, H, W] (fed to the ONNX graph's "images"), outputs "logits" and "probabilities"
(softmax of the logits), in JSON or Triton's binary tensor form as the request asks, so that
`mpw bench serve --url` loads it with the very requests it sends to `mpw serve`.

    python3 kserve_onnx_server.py --onnx model.onnx --model_name mpw --http_port 8081 --threads 2

Started by kserve_peer.py; kserve's own flags (--http_port, --workers, ...) are kserve's parser's.
"""
import argparse

import numpy
import onnxruntime
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer


class ONNXClassifier(Model):
    def __init__(self, name, path, threads):
        super().__init__(name)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.ready = True

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        images = payload.inputs[0].as_numpy().astype(numpy.float32, copy=False)
        logits = self.session.run(["logits"], {"images": images})[0]
        exponentials = numpy.exp(logits.astype(numpy.float64) - logits.max(axis=1, keepdims=True))
        probabilities = (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(numpy.float32)
        outputs = []
        for name, values in (("logits", logits), ("probabilities", probabilities)):
            output = InferOutput(name=name, shape=list(values.shape), datatype="FP32")
            output.set_data_from_numpy(values, binary_data=False)
            outputs.append(output)
        return InferResponse(response_id=payload.id or "", model_name=self.name, infer_outputs=outputs,
                             use_binary_outputs=payload.use_binary_outputs, requested_outputs=payload.request_outputs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--model_name", default="mpw")
    parser.add_argument("--threads", type=int, default=2)
    args, _ = parser.parse_known_args()
    ModelServer().start([ONNXClassifier(args.model_name, args.onnx, args.threads)])
