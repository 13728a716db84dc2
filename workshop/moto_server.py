"""Start moto's server (`moto_server`) with two fixes for deploying real stacks into it.

1. moto models most CloudFormation resource types, but keeps `None` for the ones it does not
   (AWS::S3::BucketPolicy, AWS::ApiGateway::ApiKey, UsagePlan, GatewayResponse, ...), and its
   DescribeStackResource then crashes on that `None` with a 500, which makes `sls remove` fail
   on any stack the Serverless Framework generates with an API key. The fix skips those entries.
2. Deleting a stack leaves its AWS::ApiGateway::RestApi behind (moto's RestAPI has no delete
   hook). The fix deletes it, as CloudFormation does.

Everything else is moto 5.2.5 as released.

    python -m workshop.moto_server -H 127.0.0.1 -p 4566    # same arguments as moto_server
"""

import sys

from moto.apigateway.models import RestAPI, apigateway_backends
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend
from moto.server import main


def _describe_stack_resource(self, stack_name: str, logical_resource_id: str):
    stack = self.get_stack(stack_name)
    for resource in stack.stack_resources:
        if resource is not None and resource.logical_resource_id == logical_resource_id:
            return stack, resource
    raise ValidationError(stack_name, f"Resource {logical_resource_id} does not exist for stack {stack_name}")


def _delete_rest_api(self, account_id: str, region_name: str) -> None:
    apigateway_backends[account_id][region_name].delete_rest_api(self.id)


CloudFormationBackend.describe_stack_resource = _describe_stack_resource
RestAPI.delete = _delete_rest_api

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
