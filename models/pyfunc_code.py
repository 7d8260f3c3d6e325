"""MLflow "models from code" entry point for the risk model; never imported by Vigie itself.

MLflow copies this file into every logged model and executes it when the model is loaded, so
the saved model holds code instead of a pickled Python object: loading needs the `models`
package, not the training code, and runs nothing a pickle could smuggle in.
"""

from mlflow.models import set_model

from models.pyfunc import RiskModelPyfunc

set_model(RiskModelPyfunc())
